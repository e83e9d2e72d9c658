// Small AMQP helpers: the SDK's lock-token byte order, .NET ticks, settlement outcomes, and a
// narrow view of rhea internals that its typings leave out (the local attach frame).
import rhea from "rhea";
import type { Connection, Delivery, link, Message, Sender, Typed } from "rhea";
import type { AmqpFailure } from "./types.ts";

/** .NET serialises the first three GUID groups little-endian; the SDK swaps them back. */
function swapGuidBytes(b: Buffer): Buffer {
  const o = Buffer.from(b);
  o[0] = b[3] ?? 0; o[1] = b[2] ?? 0; o[2] = b[1] ?? 0; o[3] = b[0] ?? 0;
  o[4] = b[5] ?? 0; o[5] = b[4] ?? 0; o[6] = b[7] ?? 0; o[7] = b[6] ?? 0;
  return o;
}

/** Delivery tag for a lock token, so that the SDK's reorderLockToken yields the token again. */
export function lockTokenToTag(token: string): Buffer {
  return swapGuidBytes(rhea.string_to_uuid(token));
}

export function tagToLockToken(tag: Buffer | string): string | undefined {
  const b = typeof tag === "string" ? Buffer.from(tag) : tag;
  return b.length === 16 ? rhea.uuid_to_string(swapGuidBytes(b)) : undefined;
}

/** Lock tokens in $management bodies are plain uuids (standard byte order). */
export function uuidToString(v: unknown): string | undefined {
  return Buffer.isBuffer(v) && v.length === 16 ? rhea.uuid_to_string(v) : undefined;
}

export function wrapUuid(token: string): Typed {
  return rhea.types.wrap_uuid(rhea.string_to_uuid(token));
}

const TICKS_AT_UNIX_EPOCH = 621_355_968_000_000_000n;

/** `com.microsoft:locked-until-utc` is .NET ticks, above 2^53, so it travels as an 8-byte long. */
export function msToTicksLong(ms: number): Typed {
  const buf = Buffer.alloc(8);
  buf.writeBigInt64BE(BigInt(Math.round(ms)) * 10_000n + TICKS_AT_UNIX_EPOCH);
  return rhea.types.wrap_long(buf);
}

export function wrapLong(n: number): Typed {
  return rhea.types.wrap_long(n);
}

/** Longs above 2^53 decode as 8-byte Buffers; sequence numbers here stay small. */
export function longToNumber(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (Buffer.isBuffer(v) && v.length === 8) return Number(v.readBigInt64BE());
  return undefined;
}

interface OutcomeFactory {
  accepted(): { described(): unknown };
  rejected(fields: { error: AmqpFailure }): { described(): unknown };
}
// rhea's typings omit the outcome constructors that message.js defines.
const outcomes = rhea.message as unknown as OutcomeFactory;

export function acceptedOutcome(): unknown {
  return outcomes.accepted().described();
}

export function rejectedOutcome(error: AmqpFailure): unknown {
  return outcomes.rejected({ error }).described();
}

interface LocalAttach {
  max_message_size?: number;
  snd_settle_mode?: number;
  rcv_settle_mode?: number;
  properties?: Record<string, unknown>;
}

/** rhea answers an attach with `link.local.attach`; fields we must set there have no setter. */
export function localAttach(l: link): LocalAttach {
  return (l as unknown as { local: { attach: LocalAttach } }).local.attach;
}

/**
 * rhea learns of a dead socket only from 'end'/'error', not from a local destroy(); without
 * this its heartbeat timer (half the client's idle timeout, 30 s) outlives the connection.
 */
export function markDisconnected(conn: Connection): void {
  (conn as unknown as { _disconnected(): void })._disconnected();
}

/** Link credit left (rhea keeps it on the link; its typings omit it). */
export function creditOf(sender: Sender): number {
  return (sender as unknown as { credit: number }).credit;
}

/** rhea encodes plain objects; its Message typing is narrower than what it accepts. */
export function sendMessage(sender: Sender, msg: Record<string, unknown>, tag?: Buffer): Delivery {
  return sender.send(msg as unknown as Message, tag);
}

export function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v)
    ? (v as Record<string, unknown>)
    : {};
}

export function asString(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? (v as unknown[]) : [];
}
