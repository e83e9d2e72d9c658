// Turns informer callbacks into core's wire objects: trimmed, validated ObjectEvents (with the
// key they coalesce under) and SnapshotItems. Pure: no I/O, no clock.
import {
  MESSAGE_VERSION, ObjectEventSchema, podOptedIn, SnapshotItemSchema, trimObject,
  type ObjectEvent, type SnapshotItem, type WatchedKind,
} from "../core/index.ts";
import { describeZodError } from "../core/index.ts";

export type InformerChange = "add" | "update" | "delete";

export type MappedEvent =
  | { ok: true; key: string; event: ObjectEvent }
  | { ok: false; reason: string };

interface MetaOnly {
  metadata?: { name?: string | undefined; namespace?: string | undefined; uid?: string | undefined };
}

/**
 * Coalescing key. The uid keeps a deleted-and-recreated object (same name) apart from its
 * predecessor, so the predecessor's delete is not overwritten by the successor's upsert.
 */
export function objectKey(kind: WatchedKind, object: MetaOnly): string {
  const m = object.metadata ?? {};
  return `${kind}/${m.uid ?? `${m.namespace ?? ""}/${m.name ?? ""}`}`;
}

export function toObjectEvent(cluster: string, kind: WatchedKind, change: InformerChange, object: unknown): MappedEvent {
  // A pod that lost its aadpodidbinding label no longer matters to the MIC: that is a delete,
  // whether the API server reports it as DELETED (selector no longer matches) or as MODIFIED.
  const optedOut = kind === "Pod" && !podOptedIn(object as Parameters<typeof podOptedIn>[0]);
  const op = change === "delete" || optedOut ? "delete" : "upsert";
  const parsed = ObjectEventSchema.safeParse({ v: MESSAGE_VERSION, cluster, kind, op, object: trimObject(kind, object) });
  if (!parsed.success) return { ok: false, reason: describeZodError(parsed.error) };
  return { ok: true, key: objectKey(kind, object as MetaOnly), event: parsed.data };
}

/** Snapshot entry for a cached object, or undefined when it does not belong in a snapshot. */
export function toSnapshotItem(kind: WatchedKind, object: unknown): SnapshotItem | undefined {
  if (kind === "Pod" && !podOptedIn(object as Parameters<typeof podOptedIn>[0])) return undefined;
  const parsed = SnapshotItemSchema.safeParse({ kind, object: trimObject(kind, object) });
  return parsed.success ? parsed.data : undefined;
}
