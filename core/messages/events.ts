// mic-events (forwarder → MIC). A message means "reconcile from this state", never "apply this
// diff", so duplicates and reordering are harmless; messageIds let Service Bus drop resends.
import { createHash } from "node:crypto";
import { z } from "zod";
import { AzureIdentityBindingSchema, AzureIdentitySchema, AzurePodIdentityExceptionSchema } from "../crds.ts";
import { NodeSchema, PodSchema } from "../pod.ts";
import { ClusterNameSchema, MESSAGE_VERSION, parseVersioned, type ParseResult } from "./common.ts";

export const WatchedKinds = ["Pod", "Node", "AzureIdentity", "AzureIdentityBinding", "AzurePodIdentityException"] as const;
export type WatchedKind = (typeof WatchedKinds)[number];

/** The zod schema of each watched kind (messages, and the MIC's stored rows). */
export const WatchedObjectSchemas = {
  Pod: PodSchema,
  Node: NodeSchema,
  AzureIdentity: AzureIdentitySchema,
  AzureIdentityBinding: AzureIdentityBindingSchema,
  AzurePodIdentityException: AzurePodIdentityExceptionSchema,
} as const;

const base = { v: z.literal(MESSAGE_VERSION), cluster: ClusterNameSchema, op: z.enum(["upsert", "delete"]) };

export const ObjectEventSchema = z.discriminatedUnion("kind", [
  z.object({ ...base, kind: z.literal("Pod"), object: PodSchema }),
  z.object({ ...base, kind: z.literal("Node"), object: NodeSchema }),
  z.object({ ...base, kind: z.literal("AzureIdentity"), object: AzureIdentitySchema }),
  z.object({ ...base, kind: z.literal("AzureIdentityBinding"), object: AzureIdentityBindingSchema }),
  z.object({ ...base, kind: z.literal("AzurePodIdentityException"), object: AzurePodIdentityExceptionSchema }),
]);
export type ObjectEvent = z.infer<typeof ObjectEventSchema>;

export const SnapshotItemSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("Pod"), object: PodSchema }),
  z.object({ kind: z.literal("Node"), object: NodeSchema }),
  z.object({ kind: z.literal("AzureIdentity"), object: AzureIdentitySchema }),
  z.object({ kind: z.literal("AzureIdentityBinding"), object: AzureIdentityBindingSchema }),
  z.object({ kind: z.literal("AzurePodIdentityException"), object: AzurePodIdentityExceptionSchema }),
]);
export type SnapshotItem = z.infer<typeof SnapshotItemSchema>;

/**
 * One part of a full listing. Once all `parts` of a `snapshotId` have arrived, the MIC replaces
 * the cluster's state with their union: objects missing from it were deleted (level-triggered
 * repair of anything a watch missed).
 */
export const SnapshotEventSchema = z.object({
  v: z.literal(MESSAGE_VERSION),
  cluster: ClusterNameSchema,
  kind: z.literal("Snapshot"),
  snapshotId: z.string().min(1).max(64),
  part: z.number().int().min(1),
  parts: z.number().int().min(1),
  objects: z.array(SnapshotItemSchema),
}).refine((s) => s.part <= s.parts, { message: "part must be <= parts", path: ["part"] });
export type SnapshotEvent = z.infer<typeof SnapshotEventSchema>;

export const MicEventSchema = z.union([ObjectEventSchema, SnapshotEventSchema]);
export type MicEvent = z.infer<typeof MicEventSchema>;

export function parseMicEvent(body: unknown, expectedSession?: string): ParseResult<MicEvent> {
  return parseVersioned(body, MicEventSchema, expectedSession);
}

export function validateWatchedObject(kind: WatchedKind, object: unknown): boolean {
  return WatchedObjectSchemas[kind].safeParse(object).success;
}

function objectIdentity(object: { metadata: { uid?: string | undefined; namespace?: string | undefined; name: string } }): string {
  return object.metadata.uid ?? `${object.metadata.namespace ?? ""}:${object.metadata.name}`;
}

/**
 * `<kind>/<uid>/<resourceVersion>` for upserts; deletes get their own suffix because a delete
 * carries the last resourceVersion already sent with the final upsert. Without a
 * resourceVersion the content hash keeps resends of identical objects deduplicated.
 */
export function eventMessageId(event: ObjectEvent): string {
  const rv = event.object.metadata.resourceVersion ?? `h${contentHash(event.object)}`;
  const id = `${event.kind}/${objectIdentity(event.object)}/${rv}`;
  return event.op === "delete" ? `${id}/delete` : id;
}

export function snapshotMessageId(snapshot: Pick<SnapshotEvent, "snapshotId" | "part">): string {
  return `Snapshot/${snapshot.snapshotId}/${snapshot.part}`;
}

export function contentHash(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 16);
}
