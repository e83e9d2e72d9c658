// A received message (from the real @azure/service-bus client) → the trigger input and binding
// data the host's Service Bus extension sends the Node worker. Built on the kit's builders and
// completed with what only a real receive knows: the lock token, the raw body, expiry.
import type { ServiceBusReceivedMessage } from "@azure/service-bus";
import { serviceBusBatch, serviceBusMessage, typed } from "../functions-kit/index.ts";
import type { RpcTypedData, ServiceBusMessageSpec } from "../functions-kit/index.ts";

export interface TriggerData {
  trigger: RpcTypedData;
  triggerMetadata: Record<string, RpcTypedData>;
}

/** .NET's DateTimeOffset.MaxValue: what the host reports for a message that never expires. */
const NEVER = "9999-12-31T23:59:59.9999999+00:00";

function isBytes(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array;
}

/**
 * The message body as the broker holds it. The host hands the worker those bytes (as UTF-8
 * text unless `dataType: binary`), not the JS SDK's decoded value: a JSON *string* body
 * `"123"` must reach the handler as the string "123", not the number 123.
 */
export function rawBody(m: ServiceBusReceivedMessage): Buffer {
  const raw = m._rawAmqpMessage;
  if (raw.bodyType === "data" || raw.bodyType === undefined) {
    const sections: unknown[] = Array.isArray(raw.body) ? (raw.body as unknown[]) : [raw.body];
    const parts = sections.map((s) => {
      if (isBytes(s)) return Buffer.from(s);
      const content = (s as { content?: unknown } | null)?.content;
      return isBytes(content) ? Buffer.from(content) : undefined;
    });
    if (parts.every((p) => p !== undefined)) return Buffer.concat(parts);
  }
  if (isBytes(m.body)) return Buffer.from(m.body);
  return Buffer.from(typeof m.body === "string" && raw.bodyType === "value" ? m.body : JSON.stringify(m.body) ?? "", "utf8");
}

function toNumber(seq: ServiceBusReceivedMessage["sequenceNumber"]): number | undefined {
  return seq === undefined ? undefined : seq.toNumber();
}

function expiry(m: ServiceBusReceivedMessage): string {
  const t = m.expiresAtUtc?.getTime();
  return t === undefined || !Number.isFinite(t) || t >= Date.UTC(9999, 11, 31) ? NEVER : new Date(t).toISOString();
}

function spec(m: ServiceBusReceivedMessage, binary: boolean): ServiceBusMessageSpec {
  const body = rawBody(m);
  const s: ServiceBusMessageSpec = {
    body: binary ? body : body.toString("utf8"),
    // The .NET client the host uses counts the current delivery; the JS client does not.
    deliveryCount: (m.deliveryCount ?? 0) + 1,
    applicationProperties: { ...(m.applicationProperties ?? {}) },
  };
  if (m.messageId !== undefined) s.messageId = String(m.messageId);
  if (m.enqueuedTimeUtc !== undefined) s.enqueuedTimeUtc = m.enqueuedTimeUtc;
  const seq = toNumber(m.sequenceNumber);
  if (seq !== undefined) s.sequenceNumber = seq;
  if (m.sessionId !== undefined) s.sessionId = m.sessionId;
  if (m.contentType !== undefined) s.contentType = m.contentType;
  if (m.correlationId !== undefined) s.correlationId = String(m.correlationId);
  if (m.subject !== undefined) s.subject = m.subject;
  return s;
}

function optionalStrings(md: Record<string, RpcTypedData>, m: ServiceBusReceivedMessage): void {
  if (m.replyTo !== undefined) md.ReplyTo = typed.string(m.replyTo);
  if (m.replyToSessionId !== undefined) md.ReplyToSessionId = typed.string(m.replyToSessionId);
  if (m.to !== undefined) md.To = typed.string(m.to);
  if (m.deadLetterSource !== undefined) md.DeadLetterSource = typed.string(m.deadLetterSource);
}

/** Cardinality one: the body plus the host's per-message binding data. */
export function messageTriggerData(m: ServiceBusReceivedMessage, opts: { binary?: boolean } = {}): TriggerData {
  const built = serviceBusMessage(spec(m, opts.binary ?? false));
  const md: Record<string, RpcTypedData> = { ...built.triggerMetadata, ExpiresAtUtc: typed.string(expiry(m)) };
  if (m.lockToken !== undefined) md.LockToken = typed.string(m.lockToken);
  optionalStrings(md, m);
  return { trigger: built.trigger, triggerMetadata: md };
}

/** Cardinality many: the bodies as a collection plus the host's parallel `…Array` binding data. */
export function batchTriggerData(ms: ServiceBusReceivedMessage[], opts: { binary?: boolean } = {}): TriggerData {
  const binary = opts.binary ?? false;
  const built = serviceBusBatch(ms.map((m) => spec(m, false)));
  const trigger: RpcTypedData = binary ? { collectionBytes: { bytes: ms.map((m) => rawBody(m)) } } : built.trigger;
  return {
    trigger,
    triggerMetadata: {
      ...built.triggerMetadata,
      LockTokenArray: typed.strings(ms.map((m) => m.lockToken ?? "")),
      ExpiresAtUtcArray: typed.json(ms.map(expiry)),
      SubjectArray: typed.strings(ms.map((m) => m.subject ?? "")),
      LabelArray: typed.strings(ms.map((m) => m.subject ?? "")),
      ReplyToArray: typed.strings(ms.map((m) => m.replyTo ?? "")),
      ToArray: typed.strings(ms.map((m) => m.to ?? "")),
    },
  };
}
