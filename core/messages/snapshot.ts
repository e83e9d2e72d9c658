// Splits a full listing into Snapshot messages that each stay under the message size limit.
import { byteLength, MAX_BODY_BYTES, MESSAGE_VERSION } from "./common.ts";
import type { SnapshotEvent, SnapshotItem } from "./events.ts";

export class SnapshotItemTooLargeError extends Error {
  override readonly name = "SnapshotItemTooLargeError";
}

/**
 * Greedy chunking by serialised size. Always returns at least one part (an empty cluster is a
 * valid snapshot: it tells the MIC to forget everything).
 */
export function chunkSnapshot(
  cluster: string,
  snapshotId: string,
  items: readonly SnapshotItem[],
  maxBodyBytes = MAX_BODY_BYTES,
): SnapshotEvent[] {
  const envelopeBytes = byteLength({ v: MESSAGE_VERSION, cluster, kind: "Snapshot", snapshotId, part: 999999, parts: 999999, objects: [] });
  const budget = maxBodyBytes - envelopeBytes;
  const groups: SnapshotItem[][] = [];
  let current: SnapshotItem[] = [];
  let size = 0;
  for (const item of items) {
    const itemBytes = byteLength(item) + 1; // +1 for the separating comma
    if (itemBytes > budget) {
      throw new SnapshotItemTooLargeError(
        `${item.kind} ${item.object.metadata.namespace ?? ""}/${item.object.metadata.name} is ${itemBytes} bytes, over the ${budget}-byte budget of one message`,
      );
    }
    if (size + itemBytes > budget && current.length > 0) {
      groups.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += itemBytes;
  }
  groups.push(current);
  return groups.map((objects, i) => ({
    v: MESSAGE_VERSION,
    cluster,
    kind: "Snapshot",
    snapshotId,
    part: i + 1,
    parts: groups.length,
    objects,
  }));
}
