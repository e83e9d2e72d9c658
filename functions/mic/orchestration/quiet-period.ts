// The coalescing window at the start of each reconcileHost execution. A burst of pods reaches
// the MIC as one event per pod (ingested one after another in the cluster's session), each
// bumping the host's generation. Waiting until the generation stops moving for
// `coalesceQuietMs` (never longer than `coalesceMaxMs`) lets one GET → PATCH carry the whole
// burst: a VMSS update takes 40-60 s, so a second write costs far more than the wait.
// The window watches the generation, not `inputsChanged` events: a wait for an event that lost
// to a timer stays open in the SDK and would swallow a later event the grace period needs.
import type { OrchestrationContext, RetryOptions, Task } from "../../runtime.ts";
import { Activity, type HostTarget } from "./contracts.ts";
import type { ReconcileTiming } from "./timing.ts";

export interface QuietPeriodResult {
  /** Generation reads that saw it move (0: the burst was already over). */
  moved: number;
  waitedMs: number;
}

/** Waits out the window on durable timers, reading the host's generation after each. */
export function* quietPeriod(ctx: OrchestrationContext, t: ReconcileTiming, target: HostTarget, retry: RetryOptions): Generator<Task, QuietPeriodResult, unknown> {
  const start = ctx.df.currentUtcDateTime.getTime();
  if (t.coalesceQuietMs <= 0 || t.coalesceMaxMs <= 0) return { moved: 0, waitedMs: 0 };
  const deadline = start + t.coalesceMaxMs;
  const read = (): Task => ctx.df.callActivityWithRetry(Activity.HostGeneration, retry, target);
  let generation = (yield read()) as number;
  let moved = 0;
  for (;;) {
    const now = ctx.df.currentUtcDateTime.getTime();
    const fireAt = Math.min(now + t.coalesceQuietMs, deadline);
    if (fireAt <= now) break;
    yield ctx.df.createTimer(new Date(fireAt));
    const next = (yield read()) as number;
    if (next === generation) break;
    generation = next;
    moved += 1;
  }
  return { moved, waitedMs: ctx.df.currentUtcDateTime.getTime() - start };
}
