// mic-events messages for state-store tests, built through core's real parser (so defaults and
// validation are exactly what the micEvents trigger sees).
import { parseMicEvent, type MicEvent, type SnapshotItem } from "../../core/index.ts";

function parsed(body: unknown): MicEvent {
  const r = parseMicEvent(JSON.stringify(body));
  if (!r.ok) throw new Error(`test event invalid: ${r.description}`);
  return r.message;
}

export type EventKind = "Pod" | "Node" | "AzureIdentity" | "AzureIdentityBinding" | "AzurePodIdentityException";

export const upsert = (cluster: string, kind: EventKind, object: unknown): MicEvent => parsed({ v: 1, cluster, kind, op: "upsert", object });
export const remove = (cluster: string, kind: EventKind, object: unknown): MicEvent => parsed({ v: 1, cluster, kind, op: "delete", object });

export function snapshotParts(cluster: string, snapshotId: string, items: readonly SnapshotItem[], parts: number): MicEvent[] {
  const size = Math.ceil(items.length / parts);
  return Array.from({ length: parts }, (_, i) =>
    parsed({ v: 1, cluster, kind: "Snapshot", snapshotId, part: i + 1, parts, objects: items.slice(i * size, (i + 1) * size) }));
}
