// One invocation of the function for what one receive returned, then settlement exactly as the
// host's Service Bus extension does it: complete every message on success (autoCompleteMessages),
// abandon every message when the function throws (the broker dead-letters at MaxDeliveryCount).
import type { ServiceBusReceivedMessage } from "@azure/service-bus";
import { InvocationError } from "../functions-kit/index.ts";
import type { CapturedApp, RpcTypedData } from "../functions-kit/index.ts";
import type { ServiceBusTriggerBinding } from "./binding.ts";
import { batchTriggerData, messageTriggerData } from "./trigger-data.ts";

export interface TriggerLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLogger: TriggerLogger = { debug() {}, info() {}, warn() {}, error() {} };

export interface TriggerStats {
  /** Messages handed to the function (a batch counts its messages). */
  received: number;
  invocations: number;
  succeeded: number;
  failed: number;
  completed: number;
  abandoned: number;
  settleErrors: number;
  receiveErrors: number;
  sessionsAccepted: number;
  inFlight: number;
}

export function emptyStats(): TriggerStats {
  return { received: 0, invocations: 0, succeeded: 0, failed: 0, completed: 0, abandoned: 0, settleErrors: 0, receiveErrors: 0, sessionsAccepted: 0, inFlight: 0 };
}

export type Outcome = "completed" | "abandoned" | "left-locked";

export interface SettledEvent {
  functionName: string;
  sessionId: string | undefined;
  messageIds: string[];
  /** As the function saw them (1-based). */
  deliveryCounts: number[];
  outcome: Outcome;
  error?: unknown;
}

/** The settlement half of a receiver (session or not); a ServiceBusReceiver satisfies it. */
export interface Settler {
  completeMessage(m: ServiceBusReceivedMessage): Promise<void>;
  abandonMessage(m: ServiceBusReceivedMessage): Promise<void>;
}

export interface DispatchContext {
  app: CapturedApp;
  binding: ServiceBusTriggerBinding;
  stats: TriggerStats;
  logger: TriggerLogger;
  inputs: (() => Record<string, RpcTypedData>) | undefined;
  onSettled: ((e: SettledEvent) => void) | undefined;
}

function cause(err: unknown): unknown {
  return err instanceof InvocationError ? err.cause : err;
}

async function settleAll(ctx: DispatchContext, receiver: Settler, ms: ServiceBusReceivedMessage[], complete: boolean): Promise<void> {
  for (const m of ms) {
    try {
      if (complete) {
        await receiver.completeMessage(m);
        ctx.stats.completed++;
      } else {
        await receiver.abandonMessage(m);
        ctx.stats.abandoned++;
      }
    } catch (err) {
      // Lock lost (expired, connection dropped): the broker redelivers; nothing else to do.
      ctx.stats.settleErrors++;
      ctx.logger.warn({ err, messageId: m.messageId, op: complete ? "complete" : "abandon" }, "servicebus trigger: settlement failed");
    }
  }
}

/** Invokes the function once for `ms` (one message, or a batch) and settles them. */
export async function dispatch(ctx: DispatchContext, receiver: Settler, ms: ServiceBusReceivedMessage[]): Promise<Outcome> {
  const { binding, stats } = ctx;
  const binary = binding.dataType?.toLowerCase() === "binary";
  const data = binding.cardinality === "many" ? batchTriggerData(ms, { binary }) : messageTriggerData(ms[0] as ServiceBusReceivedMessage, { binary });
  const messageIds = ms.map((m) => String(m.messageId ?? ""));
  const deliveryCounts = ms.map((m) => (m.deliveryCount ?? 0) + 1);
  const sessionId = ms[0]?.sessionId;
  stats.received += ms.length;
  stats.invocations++;
  stats.inFlight++;
  let error: unknown;
  let ok = false;
  try {
    await ctx.app.invoke(binding.functionName, {
      trigger: data.trigger,
      triggerMetadata: data.triggerMetadata,
      ...(ctx.inputs ? { inputs: ctx.inputs() } : {}),
    });
    ok = true;
    stats.succeeded++;
  } catch (err) {
    error = cause(err);
    stats.failed++;
    ctx.logger.warn({ err: error, function: binding.functionName, messageIds, deliveryCounts, sessionId }, "servicebus trigger: function failed; abandoning");
  }
  let outcome: Outcome;
  try {
    if (!ok) {
      await settleAll(ctx, receiver, ms, false);
      outcome = "abandoned";
    } else if (binding.autoCompleteMessages) {
      await settleAll(ctx, receiver, ms, true);
      outcome = "completed";
    } else {
      // autoCompleteMessages: false and no settlement API: the lock simply runs out (host behaviour).
      outcome = "left-locked";
    }
  } finally {
    stats.inFlight--;
  }
  ctx.onSettled?.({ functionName: binding.functionName, sessionId, messageIds, deliveryCounts, outcome, ...(ok ? {} : { error }) });
  return outcome;
}
