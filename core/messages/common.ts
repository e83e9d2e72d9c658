// Rules shared by both queues: version, cluster naming, and parse results that carry a
// dead-letter reason instead of throwing (a bad message must never block a session).
import { z } from "zod";
import { describeZodError } from "../kube-meta.ts";

export const MESSAGE_VERSION = 1;
export const EVENTS_QUEUE = "mic-events";
export const COMMANDS_QUEUE = "mic-commands";

/** Standard tier's message limit is 256 KiB including headers; keep bodies well below it. */
export const MAX_MESSAGE_BYTES = 256 * 1024;
export const MAX_BODY_BYTES = 192 * 1024;

// The cluster name is the Service Bus session id and the Azure Tables partition key, so it
// must be valid for both (Tables forbid / \ # ? and control characters).
export const ClusterNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, "cluster name: 1-63 of letters, digits, '.', '_', '-', starting with a letter or digit");

export const DeadLetterReason = {
  MalformedJson: "PODID_MSG_MALFORMED_JSON",
  UnsupportedVersion: "PODID_MSG_UNSUPPORTED_VERSION",
  Invalid: "PODID_MSG_INVALID",
  WrongSession: "PODID_MSG_WRONG_SESSION",
} as const;
export type DeadLetterReasonCode = (typeof DeadLetterReason)[keyof typeof DeadLetterReason];

export type ParseResult<T> =
  | { ok: true; message: T }
  | { ok: false; reason: DeadLetterReasonCode; description: string };

/** Accepts a body as the SDK hands it over: parsed JSON, a string or bytes. */
export function decodeBody(body: unknown): { ok: true; value: unknown } | { ok: false; description: string } {
  if (typeof body === "string" || body instanceof Uint8Array) {
    const text = typeof body === "string" ? body : Buffer.from(body).toString("utf8");
    try {
      return { ok: true, value: JSON.parse(text) as unknown };
    } catch (e) {
      return { ok: false, description: `body is not JSON: ${(e as Error).message}` };
    }
  }
  return { ok: true, value: body };
}

export function parseVersioned<T>(
  body: unknown,
  schema: z.ZodType<T>,
  expectedSession?: string,
): ParseResult<T> {
  const decoded = decodeBody(body);
  if (!decoded.ok) return { ok: false, reason: DeadLetterReason.MalformedJson, description: decoded.description };
  const value = decoded.value;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, reason: DeadLetterReason.Invalid, description: "body must be a JSON object" };
  }
  const v = (value as { v?: unknown }).v;
  if (v !== MESSAGE_VERSION) {
    return { ok: false, reason: DeadLetterReason.UnsupportedVersion, description: `message version ${JSON.stringify(v)} is not supported (expected ${MESSAGE_VERSION})` };
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) return { ok: false, reason: DeadLetterReason.Invalid, description: describeZodError(parsed.error) };
  const cluster = (parsed.data as { cluster: string }).cluster;
  if (expectedSession !== undefined && cluster !== expectedSession) {
    return { ok: false, reason: DeadLetterReason.WrongSession, description: `message for cluster '${cluster}' arrived in session '${expectedSession}'` };
  }
  return { ok: true, message: parsed.data };
}

export function byteLength(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), "utf8");
}
