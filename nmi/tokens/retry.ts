// Bounded retries for upstream calls: exponential backoff (honouring Retry-After), never past
// the request's deadline. The caller classifies each failure as retryable or not.
import type { Clock } from "./types.ts";

export interface RetryDecision {
  retry: boolean;
  /** Upstream's Retry-After in seconds, if any. */
  retryAfterSeconds?: number;
}

export interface RetryOptions {
  clock: Clock;
  deadline: number;
  signal: AbortSignal;
  baseMs: number;
  maxMs?: number;
  classify: (err: unknown) => RetryDecision;
}

/** Delay before attempt `attempt` (1-based retry count). Retry-After wins when given. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, retryAfterSeconds?: number): number {
  if (retryAfterSeconds !== undefined && retryAfterSeconds >= 0) return retryAfterSeconds * 1000;
  return Math.min(maxMs, baseMs * 2 ** (attempt - 1));
}

export async function withRetries<T>(fn: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> {
  const maxMs = o.maxMs ?? 2000;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const d = o.classify(err);
      if (!d.retry || o.signal.aborted) throw err;
      const delay = backoffMs(attempt + 1, o.baseMs, maxMs, d.retryAfterSeconds);
      // Not enough budget left for the wait: surface the failure now (the client retries).
      if (o.clock.now() + delay >= o.deadline) throw err;
      await o.clock.sleep(delay, o.signal);
      if (o.signal.aborted) throw err;
    }
  }
}
