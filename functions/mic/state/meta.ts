// The cluster's meta row: the ingest sequence number (orders object rows against snapshots) and
// the write-ahead list of hosts whose generation must still be bumped. The ingest records the
// hosts in the same batch as the object change and clears them once bumped, so a crash in
// between cannot lose a bump: the next ingest for the cluster finishes it first.
import { z } from "zod";
import type { HostRef } from "../planner/index.ts";
import type { RowBackend, RowOp, RowProps } from "./backend.ts";
import { META_ROW } from "./keys.ts";
import { readChunkedJson, writeChunkedJson } from "./limits.ts";

export interface Meta {
  seq: number;
  pending: HostRef[];
  /** Undefined when the row does not exist yet. */
  etag: string | undefined;
}

const PendingSchema = z.array(z.object({ hostKey: z.string(), hostId: z.string() }));

export async function readMeta(backend: RowBackend, cluster: string): Promise<Meta> {
  const row = await backend.get(cluster, META_ROW);
  if (!row) return { seq: 0, pending: [], etag: undefined };
  return {
    seq: typeof row.props.seq === "number" ? row.props.seq : 0,
    pending: PendingSchema.parse(readChunkedJson(row.props, "pending") ?? []),
    etag: row.etag,
  };
}

/** The operation that writes `next` over `current` (conditional on its etag). */
export function metaOp(current: Meta, next: { seq: number; pending: readonly HostRef[] }): RowOp {
  const props: RowProps = { seq: next.seq };
  writeChunkedJson(props, "pending", next.pending);
  return current.etag === undefined
    ? { op: "create", rowKey: META_ROW, props }
    : { op: "replace", rowKey: META_ROW, props, etag: current.etag };
}

export function unionHosts(a: readonly HostRef[], b: readonly HostRef[]): HostRef[] {
  const out = new Map<string, HostRef>();
  for (const h of [...a, ...b]) if (!out.has(h.hostKey)) out.set(h.hostKey, h);
  return [...out.values()].sort((x, y) => (x.hostKey < y.hostKey ? -1 : 1));
}

export function withoutHosts(a: readonly HostRef[], remove: readonly HostRef[]): HostRef[] {
  const gone = new Set(remove.map((h) => h.hostKey));
  return a.filter((h) => !gone.has(h.hostKey));
}
