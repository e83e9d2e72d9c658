// Service Bus envelopes for mic-events: messageId from core (duplicate detection drops resends),
// sessionId = cluster (the MIC processes one cluster's messages in order), JSON bodies.
import type { ServiceBusMessage } from "@azure/service-bus";
import {
  byteLength, chunkSnapshot, eventMessageId, MESSAGE_VERSION, snapshotMessageId,
  type ObjectEvent, type SnapshotEvent, type SnapshotItem,
} from "../core/index.ts";

export function eventMessage(event: ObjectEvent): ServiceBusMessage {
  return { body: event, messageId: eventMessageId(event), sessionId: event.cluster, contentType: "application/json" };
}

export function snapshotMessage(part: SnapshotEvent): ServiceBusMessage {
  return { body: part, messageId: snapshotMessageId(part), sessionId: part.cluster, contentType: "application/json" };
}

export interface SnapshotPlan {
  parts: SnapshotEvent[];
  /** Objects too large for any message; left out (and logged) rather than blocking every snapshot. */
  skipped: SnapshotItem[];
}

/** Chunks a listing; objects that cannot fit one message on their own are set aside. */
export function planSnapshot(cluster: string, snapshotId: string, items: readonly SnapshotItem[], maxBodyBytes: number): SnapshotPlan {
  // Same envelope arithmetic as core's chunkSnapshot, so nothing we keep can make it throw.
  const envelope = byteLength({ v: MESSAGE_VERSION, cluster, kind: "Snapshot", snapshotId, part: 999999, parts: 999999, objects: [] });
  const budget = maxBodyBytes - envelope;
  const fitting: SnapshotItem[] = [];
  const skipped: SnapshotItem[] = [];
  for (const item of items) (byteLength(item) + 1 > budget ? skipped : fitting).push(item);
  return { parts: chunkSnapshot(cluster, snapshotId, fitting, maxBodyBytes), skipped };
}
