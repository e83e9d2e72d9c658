// Applying one upsert/delete event. Order of writes (no lost update, DESIGN §5):
//   1. one atomic batch: the object row + the meta row (seq+1, affected hosts appended to the
//      write-ahead list; its etag also fences off a concurrent ingest for the same cluster);
//   2. bump the affected hosts' generations, clearing them from the write-ahead list.
// Only then does the caller poke the orchestrations. A crash between 1 and 2 is finished by the
// next ingest of the cluster (see meta.ts); a redelivered event is a duplicate and changes nothing.
import type { ObjectEvent } from "../../../core/index.ts";
import type { MicSettings } from "../planner/index.ts";
import type { RowBackend } from "./backend.ts";
import { bumpGenerations, type BumpedHost } from "./hosts.ts";
import { metaOp, unionHosts, type Meta } from "./meta.ts";
import { liveRowProps, objectFromRow, rowKeyOf, storedVersion, tombstoneRowProps, type KindedObject } from "./object-rows.ts";
import { affectedHosts } from "./relevant-state.ts";
import { decideDelete, decideUpsert, maxResourceVersion, type Decision } from "./versions.ts";

export interface ObjectIngestOutcome {
  applied: boolean;
  reason: Decision["reason"];
  bumped: BumpedHost[];
}

export async function ingestObjectEvent(
  backend: RowBackend, settings: Pick<MicSettings, "forceNamespaced">, meta: Meta, event: ObjectEvent,
): Promise<ObjectIngestOutcome> {
  const { cluster } = event;
  const item = { kind: event.kind, object: event.object } as KindedObject;
  const rowKey = rowKeyOf(item);
  const row = await backend.get(cluster, rowKey);
  const stored = storedVersion(row);
  const meta0 = event.object.metadata;
  const json = JSON.stringify(event.object);
  const decision = event.op === "upsert"
    ? decideUpsert(stored, { uid: meta0.uid, resourceVersion: meta0.resourceVersion, json })
    : decideDelete(stored, { uid: meta0.uid, resourceVersion: meta0.resourceVersion });
  if (!decision.apply) return { applied: false, reason: decision.reason, bumped: [] };

  const before = row ? objectFromRow(row) : undefined;
  const after = event.op === "upsert" ? item : undefined;
  const affected = await affectedHosts(backend, cluster, settings, before, after);
  const seq = meta.seq + 1;
  const props = event.op === "upsert"
    ? liveRowProps(item, seq)
    : tombstoneRowProps(event.kind, { ...meta0, uid: meta0.uid ?? stored?.uid, resourceVersion: maxResourceVersion(stored?.resourceVersion, meta0.resourceVersion) }, seq);
  await backend.commit(cluster, [
    { op: "upsert", rowKey, props },
    metaOp(meta, { seq, pending: unionHosts(meta.pending, affected) }),
  ]);
  const bumped = affected.length > 0 ? await bumpGenerations(backend, cluster, affected, true) : [];
  return { applied: true, reason: decision.reason, bumped };
}
