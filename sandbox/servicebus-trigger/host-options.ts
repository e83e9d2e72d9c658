// host.json `extensions.serviceBus` → driver options, so the sandbox runs with the settings the
// app ships (batch size, sessions, lock renewal) instead of a second copy of them.
import { z } from "zod";
import type { ServiceBusTriggerOptions } from "./driver.ts";

/** .NET TimeSpan text as host.json uses it: `[d.]hh:mm:ss[.fffffff]`. */
export function parseTimeSpan(text: string): number {
  const m = /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,7}))?$/.exec(text.trim());
  if (!m) throw new Error(`not a TimeSpan: '${text}' (expected [d.]hh:mm:ss[.fffffff])`);
  const [, d, h, min, s, frac] = m;
  const ms = Number(`0.${frac ?? "0"}`) * 1000;
  return (((Number(d ?? 0) * 24 + Number(h)) * 60 + Number(min)) * 60 + Number(s)) * 1000 + Math.round(ms);
}

const TimeSpan = z.string().transform((s, ctx) => {
  try { return parseTimeSpan(s); } catch (e) {
    ctx.addIssue({ code: "custom", message: (e as Error).message });
    return z.NEVER;
  }
});

const ServiceBusHostSchema = z.object({
  autoCompleteMessages: z.boolean().optional(),
  maxAutoLockRenewalDuration: TimeSpan.optional(),
  maxConcurrentCalls: z.number().int().positive().optional(),
  maxConcurrentSessions: z.number().int().positive().optional(),
  maxConcurrentCallsPerSession: z.number().int().positive().optional(),
  maxMessageBatchSize: z.number().int().positive().optional(),
  sessionIdleTimeout: TimeSpan.optional(),
}).loose();

const HostJsonSchema = z.object({
  extensions: z.object({ serviceBus: ServiceBusHostSchema.optional() }).loose().optional(),
}).loose();

export type HostServiceBusOptions = Pick<ServiceBusTriggerOptions,
  "maxBatchSize" | "sessionIdleTimeoutMs" | "maxConcurrentCalls" | "maxConcurrentSessions" | "maxAutoLockRenewalDurationMs">;

/**
 * Reads the Service Bus section of a parsed host.json. `maxConcurrentCallsPerSession` other than
 * 1 is refused: the driver (like podid) relies on in-order processing within a session.
 * `autoCompleteMessages` is per binding here (the registration's own flag wins in the host too).
 */
export function serviceBusHostOptions(hostJson: unknown): HostServiceBusOptions {
  const parsed = HostJsonSchema.safeParse(hostJson);
  if (!parsed.success) throw new Error(`host.json extensions.serviceBus: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  const sb = parsed.data.extensions?.serviceBus ?? {};
  if (sb.maxConcurrentCallsPerSession !== undefined && sb.maxConcurrentCallsPerSession !== 1) {
    throw new Error("host.json extensions.serviceBus.maxConcurrentCallsPerSession must be 1 (sessions are processed in order)");
  }
  const out: HostServiceBusOptions = {};
  if (sb.maxMessageBatchSize !== undefined) out.maxBatchSize = sb.maxMessageBatchSize;
  if (sb.sessionIdleTimeout !== undefined) out.sessionIdleTimeoutMs = sb.sessionIdleTimeout;
  if (sb.maxConcurrentCalls !== undefined) out.maxConcurrentCalls = sb.maxConcurrentCalls;
  if (sb.maxConcurrentSessions !== undefined) out.maxConcurrentSessions = sb.maxConcurrentSessions;
  if (sb.maxAutoLockRenewalDuration !== undefined) out.maxAutoLockRenewalDurationMs = sb.maxAutoLockRenewalDuration;
  return out;
}
