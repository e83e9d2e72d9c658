// The host's two receive shapes, each a loop that owns one receiver:
// - queue loop (non-session): peek-lock receiver; the SDK renews message locks while we run;
// - session loop: accept the next available session, process its messages strictly in order
//   (one at a time for cardinality one: the host's maxConcurrentCallsPerSession = 1), release
//   the session after `sessionIdleTimeoutMs` without messages; the SDK renews the session lock.
// Any receiver error closes the receiver and retries after a capped backoff (outages heal).
import { isServiceBusError } from "@azure/service-bus";
import type { ServiceBusClient, ServiceBusReceivedMessage, ServiceBusReceiver } from "@azure/service-bus";
import { dispatch } from "./dispatch.ts";
import type { DispatchContext } from "./dispatch.ts";

export interface LoopOptions {
  queueName: string;
  /** Messages per receive: 1 for cardinality one, maxBatchSize for many. */
  receiveCount: number;
  receiveWaitMs: number;
  sessionIdleTimeoutMs: number;
  sessionPollMs: number;
  maxAutoLockRenewalDurationMs: number;
  /** Sessions: give up on an accept that has not settled after this long (then retry). */
  acceptTimeoutMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
}

export interface LoopEnv {
  client: ServiceBusClient;
  ctx: DispatchContext;
  opts: LoopOptions;
  signal: AbortSignal;
  /** Session ids currently held (for stats/diagnostics). */
  sessions: Set<string>;
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

class Backoff {
  private attempt = 0;
  constructor(private readonly initialMs: number, private readonly maxMs: number) {}
  next(): number { return Math.min(this.maxMs, this.initialMs * 2 ** this.attempt++); }
  reset(): void { this.attempt = 0; }
}

/** The broker had no session to give (peer: at once; Azure: after its operation timeout). */
function noSessionAvailable(err: unknown): boolean {
  return isServiceBusError(err) && (err.code === "ServiceTimeout" || err.code === "SessionCannotBeLocked");
}

async function closeQuietly(r: { close(): Promise<void> } | undefined): Promise<void> {
  await r?.close().catch(() => undefined);
}

/** Non-session queue: one peek-lock receiver, one invocation at a time per loop. */
export async function queueLoop(env: LoopEnv): Promise<void> {
  const { client, ctx, opts, signal } = env;
  const backoff = new Backoff(opts.backoffInitialMs, opts.backoffMaxMs);
  let receiver: ServiceBusReceiver | undefined;
  while (!signal.aborted) {
    try {
      receiver ??= client.createReceiver(opts.queueName, { receiveMode: "peekLock", maxAutoLockRenewalDurationInMs: opts.maxAutoLockRenewalDurationMs });
      const ms = await receiver.receiveMessages(opts.receiveCount, { maxWaitTimeInMs: opts.receiveWaitMs, abortSignal: signal });
      backoff.reset();
      if (ms.length > 0) await dispatch(ctx, receiver, ms);
    } catch (err) {
      if (signal.aborted) break;
      ctx.stats.receiveErrors++;
      const delay = backoff.next();
      ctx.logger.warn({ err, queue: opts.queueName, retryInMs: delay }, "servicebus trigger: receive failed; reopening the receiver");
      await closeQuietly(receiver);
      receiver = undefined;
      await pause(delay, signal);
    }
  }
  await closeQuietly(receiver);
}

/** Thrown when an accept neither succeeded nor failed in time (see acceptBounded). */
export class AcceptTimeoutError extends Error {
  constructor(ms: number) {
    super(`accepting a session did not settle within ${ms} ms`);
    this.name = "AcceptTimeoutError";
  }
}

/**
 * Waits for `accepting` but never longer than `timeoutMs`, nor past `signal`. Why: in
 * @azure/service-bus 7.9.5 the abort signal is not passed down to the link attach, and when the
 * broker refuses a session at once (attach immediately followed by a detach, as the peer does)
 * the SDK's cleanup can race the remote detach and the accept never settles. Awaiting it would
 * park the loop for good and make stop() hang. A receiver that still arrives later is closed.
 */
export function acceptBounded<T extends { close(): Promise<void> }>(accepting: Promise<T>, signal: AbortSignal, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      fn();
    };
    const onAbort = (): void => finish(() => reject(new Error("accept aborted")));
    const timer = setTimeout(() => finish(() => reject(new AcceptTimeoutError(timeoutMs))), timeoutMs);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    accepting.then(
      (r) => { if (settled) void closeQuietly(r); else finish(() => resolve(r)); },
      (err: unknown) => finish(() => reject(err instanceof Error ? err : new Error(String(err)))),
    );
  });
}

/** Session-enabled queue: accept next available session, drain it in order, release when idle. */
export async function sessionLoop(env: LoopEnv): Promise<void> {
  const { client, ctx, opts, signal } = env;
  const backoff = new Backoff(opts.backoffInitialMs, opts.backoffMaxMs);
  while (!signal.aborted) {
    let receiver;
    try {
      receiver = await acceptBounded(client.acceptNextSession(opts.queueName, {
        receiveMode: "peekLock",
        maxAutoLockRenewalDurationInMs: opts.maxAutoLockRenewalDurationMs,
        abortSignal: signal,
      }), signal, opts.acceptTimeoutMs);
    } catch (err) {
      if (signal.aborted) break;
      if (noSessionAvailable(err)) {
        backoff.reset();
        await pause(opts.sessionPollMs, signal);
      } else {
        ctx.stats.receiveErrors++;
        const delay = backoff.next();
        ctx.logger.warn({ err, queue: opts.queueName, retryInMs: delay }, "servicebus trigger: accepting a session failed");
        await pause(delay, signal);
      }
      continue;
    }
    const sessionId = receiver.sessionId;
    env.sessions.add(sessionId);
    ctx.stats.sessionsAccepted++;
    ctx.logger.debug({ queue: opts.queueName, sessionId }, "servicebus trigger: session accepted");
    try {
      while (!signal.aborted) {
        const ms: ServiceBusReceivedMessage[] = await receiver.receiveMessages(opts.receiveCount, {
          maxWaitTimeInMs: opts.sessionIdleTimeoutMs,
          abortSignal: signal,
        });
        backoff.reset();
        if (ms.length === 0) break; // idle: release the session so other receivers may take it
        await dispatch(ctx, receiver, ms);
      }
    } catch (err) {
      if (!signal.aborted) {
        ctx.stats.receiveErrors++;
        const delay = backoff.next();
        ctx.logger.warn({ err, queue: opts.queueName, sessionId, retryInMs: delay }, "servicebus trigger: session receive failed; releasing the session");
        await closeQuietly(receiver);
        await pause(delay, signal);
      }
    } finally {
      env.sessions.delete(sessionId);
      await closeQuietly(receiver);
      ctx.logger.debug({ queue: opts.queueName, sessionId }, "servicebus trigger: session released");
    }
  }
}
