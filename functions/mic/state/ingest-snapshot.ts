// Snapshot parts: each part is stored as one row (chunked JSON) until all `parts` of the
// snapshotId are there; then the cluster's state becomes their union:
//   - objects in the snapshot are upserted with the usual staleness rules (tombstones win over
//     an older listing of the same uid);
//   - stored objects missing from it are deleted (tombstoned);
//   - rows written by events *after* the snapshot's first part arrived (seq > startSeq) are newer
//     than the listing and left alone;
//   - tombstones older than the snapshot are dropped (the listing supersedes them), as are parts
//     of older, abandoned snapshots.
// Write order: meta (write-ahead affected hosts) → object rows in batches → host bumps → drop
// parts. A redelivered last part re-runs the (idempotent) application.
import { SnapshotItemSchema, type SnapshotEvent } from "../../../core/index.ts";
import { changedHosts, type MicSettings } from "../planner/index.ts";
import { MAX_BATCH_OPS, RowConflictError, type Row, type RowBackend, type RowOp } from "./backend.ts";
import { bumpGenerations, type BumpedHost } from "./hosts.ts";
import { SNAPSHOT_PREFIX, objectPrefix, snapshotPartRowKey, snapshotPartsPrefix } from "./keys.ts";
import { readChunkedJson, writeChunkedJson } from "./limits.ts";
import { metaOp, readMeta, unionHosts, type Meta } from "./meta.ts";
import { clusterStateOf, liveRowProps, objectFromRow, rowKeyOf, rowSeq, storedVersion, tombstoneRowProps, type KindedObject } from "./object-rows.ts";
import { decideUpsert } from "./versions.ts";

export interface SnapshotOutcome {
  complete: boolean;
  received: number;
  parts: number;
  upserts: number;
  deletes: number;
  bumped: BumpedHost[];
}

async function commitInBatches(backend: RowBackend, cluster: string, ops: readonly RowOp[]): Promise<void> {
  for (let i = 0; i < ops.length; i += MAX_BATCH_OPS) await backend.commit(cluster, ops.slice(i, i + MAX_BATCH_OPS));
}

async function storePart(backend: RowBackend, meta: Meta, event: SnapshotEvent): Promise<void> {
  const props = { part: event.part, parts: event.parts, seq: meta.seq };
  writeChunkedJson(props, "objects", event.objects);
  try {
    await backend.commit(event.cluster, [{ op: "create", rowKey: snapshotPartRowKey(event.snapshotId, event.part), props }]);
  } catch (e) {
    if (!(e instanceof RowConflictError)) throw e; // a redelivered part: keep the first copy (and its seq)
  }
}

export async function ingestSnapshotPart(
  backend: RowBackend, settings: Pick<MicSettings, "forceNamespaced">, meta: Meta, event: SnapshotEvent,
): Promise<SnapshotOutcome> {
  const { cluster } = event;
  await storePart(backend, meta, event);
  const partRows = (await backend.list(cluster, { prefix: snapshotPartsPrefix(event.snapshotId), select: ["part", "parts", "seq"] }))
    .filter((r) => r.props.parts === event.parts);
  const received = new Set(partRows.map((r) => r.props.part)).size;
  const pending = { complete: false, received, parts: event.parts, upserts: 0, deletes: 0, bumped: [] };
  if (received < event.parts) return pending;

  const startSeq = Math.min(...partRows.map(rowSeq));
  const fullParts = await backend.list(cluster, { prefix: snapshotPartsPrefix(event.snapshotId) });
  const items = new Map<string, KindedObject>();
  for (const part of fullParts) {
    for (const raw of SnapshotItemSchema.array().parse(readChunkedJson(part.props, "objects") ?? [])) items.set(rowKeyOf(raw), raw);
  }

  const rows = new Map((await backend.list(cluster, { prefix: objectPrefix() })).map((r) => [r.rowKey, r]));
  const current = await readMeta(backend, cluster);
  const seq = current.seq + 1;
  const before = new Map<string, KindedObject>();
  for (const [key, row] of rows) {
    const obj = objectFromRow(row);
    if (obj) before.set(key, obj);
  }
  const after = new Map(before);
  const ops: RowOp[] = [];
  let upserts = 0;
  let deletes = 0;
  for (const [key, item] of items) {
    const row = rows.get(key);
    if (row && rowSeq(row) > startSeq) continue; // an event newer than the listing
    const meta0 = item.object.metadata;
    const d = decideUpsert(storedVersion(row), { uid: meta0.uid, resourceVersion: meta0.resourceVersion, json: JSON.stringify(item.object) });
    if (!d.apply) continue;
    ops.push({ op: "upsert", rowKey: key, props: liveRowProps(item, seq) });
    after.set(key, item);
    upserts += 1;
  }
  for (const [key, row] of rows) {
    if (items.has(key) || rowSeq(row) > startSeq) continue;
    if (row.props.deleted === true) {
      ops.push({ op: "delete", rowKey: key });
      continue;
    }
    const obj = before.get(key);
    if (!obj) continue;
    ops.push({ op: "upsert", rowKey: key, props: tombstoneRowProps(obj.kind, obj.object.metadata, seq) });
    after.delete(key);
    deletes += 1;
  }

  const affected = changedHosts(clusterStateOf(before.values()), clusterStateOf(after.values()), settings);
  await backend.commit(cluster, [metaOp(current, { seq, pending: unionHosts(current.pending, affected) })]);
  await commitInBatches(backend, cluster, ops);
  const bumped = affected.length > 0 ? await bumpGenerations(backend, cluster, affected, true) : [];
  await dropParts(backend, cluster, fullParts, startSeq);
  return { complete: true, received, parts: event.parts, upserts, deletes, bumped };
}

/** Drops this snapshot's parts and those of older snapshots that never completed. */
async function dropParts(backend: RowBackend, cluster: string, own: readonly Row[], startSeq: number): Promise<void> {
  const all = await backend.list(cluster, { prefix: SNAPSHOT_PREFIX, select: ["seq"] });
  const ownKeys = new Set(own.map((r) => r.rowKey));
  const stale = all.filter((r) => ownKeys.has(r.rowKey) || rowSeq(r) < startSeq);
  await commitInBatches(backend, cluster, stale.map((r): RowOp => ({ op: "delete", rowKey: r.rowKey })));
}
