// How long reconcileHost waits between long-running-operation polls and between retries. Pure
// functions of the attempt and ARM's Retry-After, so the orchestrator stays deterministic.

export interface ReconcileTiming {
  /** Poll interval when ARM sends no (or a zero) Retry-After. */
  pollIntervalMs: number;
  /** Bounds on any poll interval, Retry-After included. */
  minPollMs: number;
  maxPollMs: number;
  /** Backoff for retryable failures: base · 2^(attempt-1), capped… */
  retryBaseMs: number;
  retryCapMs: number;
  /** …but a longer Retry-After wins, up to this. */
  retryAfterCapMs: number;
  /** Retryable failures tolerated per execution before the host is left to the resync timer. */
  maxRetries: number;
  /** Rounds of GET → PATCH(es) per execution (per-identity failures take one each). */
  maxRounds: number;
  /** Give up polling one operation after this long (then retry from GET). */
  maxOperationMs: number;
  /**
   * Before reading its inputs, an execution waits until no `inputsChanged` arrived for this
   * long (a burst of pod events is still being ingested), so the burst costs one PATCH…
   */
  coalesceQuietMs: number;
  /** …but never waits longer than this in all (well under one VMSS update, 40-60 s). 0 = off. */
  coalesceMaxMs: number;
  /** After finishing, keep listening this long for an `inputsChanged` that raced the last read. */
  graceMs: number;
  /** The resync timer re-pokes a host whose last reconcile failed after this long. */
  failedHostRetryMs: number;
}

export const DEFAULT_TIMING: ReconcileTiming = {
  pollIntervalMs: 10_000,
  minPollMs: 1_000,
  maxPollMs: 60_000,
  retryBaseMs: 5_000,
  retryCapMs: 5 * 60_000,
  retryAfterCapMs: 60 * 60_000,
  maxRetries: 10,
  maxRounds: 25,
  maxOperationMs: 30 * 60_000,
  coalesceQuietMs: 2_000,
  coalesceMaxMs: 30_000,
  graceMs: 5_000,
  failedHostRetryMs: 15 * 60_000,
};

export function withTiming(over: Partial<ReconcileTiming> = {}): ReconcileTiming {
  return { ...DEFAULT_TIMING, ...over };
}

/** Next poll: Retry-After when ARM gave a positive one, else the default; always within bounds. */
export function pollDelayMs(t: ReconcileTiming, retryAfterMs?: number): number {
  const want = retryAfterMs !== undefined && retryAfterMs > 0 ? retryAfterMs : t.pollIntervalMs;
  return Math.min(Math.max(want, t.minPollMs), t.maxPollMs);
}

/** Backoff before retry number `attempt` (1-based); never shorter than Retry-After (capped). */
export function retryDelayMs(t: ReconcileTiming, attempt: number, retryAfterMs?: number): number {
  const backoff = Math.min(t.retryBaseMs * 2 ** Math.max(0, attempt - 1), t.retryCapMs);
  return Math.min(Math.max(backoff, retryAfterMs ?? 0), Math.max(t.retryAfterCapMs, t.retryCapMs));
}
