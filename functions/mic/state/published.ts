// What podid last published for each AzureAssignedIdentity (one row per AAI, keyed by
// namespace/name, owned by the host that published it last). The MIC does not watch AAIs, so
// these rows are how a host orchestration knows which AAIs to re-publish or delete.
import type { PublishedAssignment } from "../planner/index.ts";
import { MAX_BATCH_OPS, type Row, type RowBackend, type RowOp, type RowProps } from "./backend.ts";
import { PUBLISHED_PREFIX, publishedRowKey } from "./keys.ts";

function fromRow(row: Row): PublishedAssignment {
  const s = (k: string) => (typeof row.props[k] === "string" ? (row.props[k]) : "");
  const base = { key: `${s("namespace")}/${s("name")}`, namespace: s("namespace"), name: s("name"), hostKey: s("hostKey"), status: s("status"), fingerprint: s("fingerprint") };
  return typeof row.props.message === "string" ? { ...base, message: row.props.message } : base;
}

export async function listPublished(backend: RowBackend, cluster: string, hostKey?: string): Promise<PublishedAssignment[]> {
  const rows = await backend.list(cluster, { prefix: PUBLISHED_PREFIX, ...(hostKey === undefined ? {} : { where: { hostKey } }) });
  return rows.map(fromRow);
}

export async function recordPublished(backend: RowBackend, cluster: string, assignments: readonly PublishedAssignment[]): Promise<void> {
  const ops = assignments.map((a): RowOp => {
    const props: RowProps = { namespace: a.namespace, name: a.name, hostKey: a.hostKey, status: a.status, fingerprint: a.fingerprint };
    if (a.message !== undefined) props.message = a.message;
    return { op: "upsert", rowKey: publishedRowKey(a.namespace, a.name), props };
  });
  for (let i = 0; i < ops.length; i += MAX_BATCH_OPS) await backend.commit(cluster, ops.slice(i, i + MAX_BATCH_OPS));
}

/**
 * Removes the rows of `keys` still owned by `hostKey` (conditional per row, so an AAI another
 * host re-published meanwhile is kept). Returns the keys actually removed: send delete commands
 * for those only.
 */
export async function removePublished(backend: RowBackend, cluster: string, hostKey: string, keys: readonly string[]): Promise<string[]> {
  const removed: string[] = [];
  for (const key of keys) {
    const slash = key.indexOf("/");
    const rowKey = publishedRowKey(key.slice(0, slash), key.slice(slash + 1));
    const row = await backend.get(cluster, rowKey);
    if (!row || row.props.hostKey !== hostKey) continue;
    try {
      await backend.commit(cluster, [{ op: "delete", rowKey, etag: row.etag }]);
      removed.push(key);
    } catch {
      // Changed meanwhile (re-published by another host): keep it.
    }
  }
  return removed;
}
