// Message codec: what arrives in a transfer (single message or the SDK's batch envelope) and
// what leaves in a delivery (the stored message plus the broker's annotations).
import rhea from "rhea";
import { asRecord } from "./amqp-util.ts";

/** A decoded AMQP message as rhea represents it (header/properties fields flattened, body, maps). */
export type AmqpMessage = Record<string, unknown>;

/** Message format the SDK uses for sendMessages([...]) / batches: each data section is a message. */
export const BATCH_FORMAT = 0x80013700;

interface BodySection {
  typecode: number;
  content: unknown;
  multiple?: boolean;
}

function asSection(body: unknown): BodySection | undefined {
  const r = asRecord(body);
  return typeof r.typecode === "number" && "content" in r ? (r as unknown as BodySection) : undefined;
}

function decodeBuffer(buf: Buffer): AmqpMessage {
  return { ...asRecord(rhea.message.decode(buf)) };
}

/**
 * Messages carried by one transfer. rhea decodes format 0 itself and hands other formats over
 * as raw bytes.
 */
export function decodeTransfer(payload: unknown, format: number): AmqpMessage[] {
  if (!Buffer.isBuffer(payload)) return [{ ...asRecord(payload) }];
  const envelope = decodeBuffer(payload);
  if (format !== BATCH_FORMAT) return [envelope];
  const section = asSection(envelope.body);
  if (!section || section.typecode !== 0x75) return [];
  const parts = Array.isArray(section.content) ? (section.content as unknown[]) : [section.content];
  return parts.filter((p): p is Buffer => Buffer.isBuffer(p)).map(decodeBuffer);
}

export function encodeMessage(m: AmqpMessage): Buffer {
  return rhea.message.encode(m);
}

export function decodeMessage(buf: Buffer): AmqpMessage {
  return decodeBuffer(buf);
}

export function annotationsOf(m: AmqpMessage): Record<string, unknown> {
  return asRecord(m.message_annotations);
}

export function applicationPropertiesOf(m: AmqpMessage): Record<string, unknown> {
  return asRecord(m.application_properties);
}

/** The stored message with broker-owned header and annotations replaced. */
export function withBrokerFields(
  m: AmqpMessage,
  annotations: Record<string, unknown>,
  headerDeliveryCount: number,
): AmqpMessage {
  return {
    ...m,
    delivery_count: headerDeliveryCount,
    message_annotations: { ...annotationsOf(m), ...annotations },
  };
}

/** Body as the SDK would present it: data sections JSON-decoded when possible. */
export function bodyView(m: AmqpMessage): unknown {
  const section = asSection(m.body);
  if (!section) return m.body;
  if (section.typecode === 0x75 && Buffer.isBuffer(section.content)) {
    const text = section.content.toString("utf8");
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return section.content;
    }
  }
  return section.content;
}
