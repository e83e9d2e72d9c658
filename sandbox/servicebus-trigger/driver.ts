// The Service Bus trigger driver: plays the Functions host's Service Bus extension for one
// registered function. It reads the registration's binding metadata, connects by setting name,
// receives with the real @azure/service-bus client, invokes through the functions kit and
// settles like the host. Bounded concurrency: one invocation in flight per receive loop.
import { setMaxListeners } from "node:events";
import type { TokenCredential } from "@azure/identity";
import type { ServiceBusClientOptions } from "@azure/service-bus";
import { serviceBusClientFromSetting } from "../../functions/servicebus/connection.ts";
import type { CapturedApp, RpcTypedData } from "../functions-kit/index.ts";
import { readServiceBusTrigger } from "./binding.ts";
import type { ServiceBusTriggerBinding } from "./binding.ts";
import { emptyStats, silentLogger } from "./dispatch.ts";
import type { DispatchContext, SettledEvent, TriggerLogger, TriggerStats } from "./dispatch.ts";
import { queueLoop, sessionLoop } from "./receive-loops.ts";
import type { LoopEnv } from "./receive-loops.ts";

export interface ServiceBusTriggerOptions {
  app: CapturedApp;
  functionName: string;
  /** App settings: the binding's `connection` is looked up here (connection string or `__fullyQualifiedNamespace`). */
  settings: Record<string, string>;
  logger?: TriggerLogger;
  /** Cardinality many: most messages per invocation (host `maxMessageBatchSize`, default 1000). */
  maxBatchSize?: number;
  /** Sessions: release a session after this long without a message (host `sessionIdleTimeout`). Default 5000. */
  sessionIdleTimeoutMs?: number;
  /** Non-session, cardinality one: concurrent invocations (host `maxConcurrentCalls`, default 16). */
  maxConcurrentCalls?: number;
  /** Sessions: sessions processed at once (host `maxConcurrentSessions`, default 8). */
  maxConcurrentSessions?: number;
  /** Lock renewal while the function runs (host `maxAutoLockRenewalDuration`, default 5 min). */
  maxAutoLockRenewalDurationMs?: number;
  /** Non-session: how long one receive waits before polling again. Default 1000. */
  receiveWaitMs?: number;
  /** Sessions: pause before asking again when no session is available. Default 200. */
  sessionPollMs?: number;
  /** Sessions: abandon an accept that has not settled after this long. Default 30 000. */
  acceptTimeoutMs?: number;
  /** Extra input bindings per invocation, keyed by binding name or type (e.g. `durableClient`). */
  inputs?: () => Record<string, RpcTypedData>;
  /** Told after every settlement (tests and diagnostics). */
  onSettled?: (event: SettledEvent) => void;
  /** Defaults: short retries so an outage is noticed and healed in seconds. */
  clientOptions?: ServiceBusClientOptions;
  /** Credential for identity-based connections (default: the host's choice from settings). */
  credential?: TokenCredential;
}

export interface ServiceBusTrigger {
  readonly binding: ServiceBusTriggerBinding;
  /** Live counters. */
  readonly stats: Readonly<TriggerStats>;
  /** Session ids held right now. */
  activeSessions(): string[];
  /** Stops receiving, lets in-flight invocations finish and settle, closes receivers and the client. */
  stop(): Promise<void>;
}

const DEFAULT_CLIENT_OPTIONS: ServiceBusClientOptions = {
  retryOptions: { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 1000, timeoutInMs: 10_000 },
};

export async function startServiceBusTrigger(opts: ServiceBusTriggerOptions): Promise<ServiceBusTrigger> {
  const binding = readServiceBusTrigger(opts.app, opts.functionName);
  const logger = opts.logger ?? silentLogger;
  const client = serviceBusClientFromSetting(binding.connection, opts.settings, {
    clientOptions: opts.clientOptions ?? DEFAULT_CLIENT_OPTIONS,
    ...(opts.credential ? { credential: opts.credential } : {}),
  });
  const stats = emptyStats();
  const ctx: DispatchContext = { app: opts.app, binding, stats, logger, inputs: opts.inputs, onSettled: opts.onSettled };
  const abort = new AbortController();
  const sessions = new Set<string>();
  const env: LoopEnv = {
    client, ctx, signal: abort.signal, sessions,
    opts: {
      queueName: binding.queueName,
      receiveCount: binding.cardinality === "many" ? Math.max(1, opts.maxBatchSize ?? 1000) : 1,
      receiveWaitMs: opts.receiveWaitMs ?? 1000,
      sessionIdleTimeoutMs: opts.sessionIdleTimeoutMs ?? 5000,
      sessionPollMs: opts.sessionPollMs ?? 200,
      maxAutoLockRenewalDurationMs: opts.maxAutoLockRenewalDurationMs ?? 5 * 60_000,
      // The SDK's own operation timeout is 60 s; a stuck accept gives its loop back sooner.
      acceptTimeoutMs: opts.acceptTimeoutMs ?? 30_000,
      backoffInitialMs: 100,
      backoffMaxMs: 2000,
    },
  };
  // Batches without sessions come from one receive loop (the host's batch listener); single
  // messages fan out to maxConcurrentCalls loops; sessions to maxConcurrentSessions loops.
  const loops = binding.isSessionsEnabled
    ? Math.max(1, opts.maxConcurrentSessions ?? 8)
    : binding.cardinality === "many" ? 1 : Math.max(1, opts.maxConcurrentCalls ?? 16);
  // Every loop's pending receive listens on the one stop signal (plus the SDK's own listeners).
  setMaxListeners(loops * 4 + 10, abort.signal);
  const run = binding.isSessionsEnabled ? sessionLoop : queueLoop;
  const running = Array.from({ length: loops }, () => run(env).catch((err: unknown) => {
    logger.error({ err, function: binding.functionName }, "servicebus trigger: receive loop crashed");
  }));
  logger.info({ function: binding.functionName, queue: binding.queueName, sessions: binding.isSessionsEnabled, cardinality: binding.cardinality, loops }, "servicebus trigger started");

  let stopping: Promise<void> | undefined;
  return {
    binding,
    stats,
    activeSessions: () => [...sessions],
    stop() {
      stopping ??= (async () => {
        abort.abort();
        await Promise.all(running);
        await client.close();
        logger.info({ function: binding.functionName, ...stats }, "servicebus trigger stopped");
      })();
      return stopping;
    },
  };
}
