// Host record operations. Host rows are written by two parties — the ingest (generation bumps)
// and the orchestration (markReconciled, podidAssigned) — so every write is a read-modify-write
// conditional on the row's etag, retried when it loses a race.
import { resourceIdKey } from "../../../core/index.ts";
import type { HostRef } from "../planner/index.ts";
import { MAX_BATCH_OPS, RowConflictError, type RowBackend, type RowOp } from "./backend.ts";
import { hostRecordFromRow, hostRecordProps, newHostRecord, type HostError, type HostPendingSummary, type HostRecord } from "./host-record.ts";
import { HOST_PREFIX, hostRowKey } from "./keys.ts";
import { metaOp, readMeta, withoutHosts } from "./meta.ts";

export interface BumpedHost extends HostRef {
  generation: number;
}

export interface ReconcileResult {
  /** ISO time of the reconcile (the orchestration's deterministic clock). */
  at: string;
  /** The error of this reconcile; null/absent clears the previous one. */
  error?: HostError | null;
  pending?: HostPendingSummary | null;
  /** Replaces the recorded ids (e.g. `podidAssignedAfterVerify`). */
  podidAssigned?: readonly string[];
}

export interface MarkReconciledOutcome {
  /** False when a newer generation was already recorded (nothing written). */
  updated: boolean;
  record: HostRecord;
}

export interface PodidAssignedChange {
  add?: readonly string[];
  remove?: readonly string[];
  /** Replace the whole list (applied before add/remove). */
  replace?: readonly string[];
}

const MAX_ATTEMPTS = 10;

export async function retryOnConflict<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof RowConflictError) || attempt >= MAX_ATTEMPTS) throw e;
    }
  }
}

/** Accepts a hostKey or a hostId. */
export const toHostKey = (host: string): string => resourceIdKey(host);

export async function getHost(backend: RowBackend, cluster: string, host: string): Promise<HostRecord | undefined> {
  const row = await backend.get(cluster, hostRowKey(toHostKey(host)));
  return row && hostRecordFromRow(cluster, row);
}

export async function listHosts(backend: RowBackend, cluster: string): Promise<HostRecord[]> {
  return (await backend.list(cluster, { prefix: HOST_PREFIX })).map((r) => hostRecordFromRow(cluster, r));
}

function writeOp(record: HostRecord, existed: boolean): RowOp {
  const rowKey = hostRowKey(record.hostKey);
  const props = hostRecordProps(record);
  return existed ? { op: "replace", rowKey, props, etag: record.etag } : { op: "create", rowKey, props };
}

/**
 * Bumps each host's generation by one. With `clearPending`, the same batch that bumps the last
 * hosts also removes them from the cluster meta row's write-ahead list.
 */
export async function bumpGenerations(backend: RowBackend, cluster: string, hosts: readonly HostRef[], clearPending = false): Promise<BumpedHost[]> {
  const unique = [...new Map(hosts.map((h) => [h.hostKey, h])).values()];
  const out: BumpedHost[] = [];
  const batchSize = MAX_BATCH_OPS - 1; // room for the meta row
  for (let i = 0; i < unique.length || (clearPending && i === 0); i += batchSize) {
    const batch = unique.slice(i, i + batchSize);
    const last = i + batchSize >= unique.length;
    const bumped = await retryOnConflict(async () => {
      const ops: RowOp[] = [];
      const result: BumpedHost[] = [];
      for (const h of batch) {
        const current = await getHost(backend, cluster, h.hostKey);
        const record = current ?? newHostRecord(cluster, h);
        record.generation += 1;
        ops.push(writeOp(record, current !== undefined));
        result.push({ hostKey: record.hostKey, hostId: record.hostId, generation: record.generation });
      }
      if (clearPending && last) {
        const meta = await readMeta(backend, cluster);
        if (meta.etag !== undefined) ops.push(metaOp(meta, { seq: meta.seq, pending: withoutHosts(meta.pending, unique) }));
      }
      await backend.commit(cluster, ops);
      return result;
    });
    out.push(...bumped);
  }
  return out;
}

async function updateHost(
  backend: RowBackend, cluster: string, host: HostRef | string,
  change: (record: HostRecord) => boolean,
): Promise<{ updated: boolean; record: HostRecord }> {
  const ref: HostRef = typeof host === "string" ? { hostKey: toHostKey(host), hostId: host } : host;
  return retryOnConflict(async () => {
    const current = await getHost(backend, cluster, ref.hostKey);
    const record = current ?? newHostRecord(cluster, ref);
    if (!change(record)) return { updated: false, record };
    await backend.commit(cluster, [writeOp(record, current !== undefined)]);
    const stored = await getHost(backend, cluster, ref.hostKey);
    return { updated: true, record: stored ?? record };
  });
}

/** Records a finished reconcile of `generation`; an older generation never overwrites a newer one. */
export async function markReconciled(backend: RowBackend, cluster: string, host: HostRef | string, generation: number, result: ReconcileResult): Promise<MarkReconciledOutcome> {
  return updateHost(backend, cluster, host, (r) => {
    if (generation < r.reconciledGeneration) return false;
    // A generation never issued is a caller bug; clamp so the host cannot look reconciled ahead.
    r.reconciledGeneration = Math.min(generation, r.generation);
    r.lastReconciledAt = result.at;
    r.lastError = result.error ?? null;
    if (result.pending !== undefined) r.pending = result.pending;
    if (result.podidAssigned !== undefined) r.podidAssigned = [...result.podidAssigned];
    return true;
  });
}

export async function recordPodidAssigned(backend: RowBackend, cluster: string, host: HostRef | string, change: PodidAssignedChange): Promise<HostRecord> {
  const { record } = await updateHost(backend, cluster, host, (r) => {
    const ids = new Map((change.replace ?? r.podidAssigned).map((id) => [resourceIdKey(id), id]));
    for (const id of change.remove ?? []) ids.delete(resourceIdKey(id));
    for (const id of change.add ?? []) if (!ids.has(resourceIdKey(id))) ids.set(resourceIdKey(id), id);
    const next = [...ids.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, id]) => id);
    if (JSON.stringify(next) === JSON.stringify(r.podidAssigned)) return false;
    r.podidAssigned = next;
    return true;
  });
  return record;
}
