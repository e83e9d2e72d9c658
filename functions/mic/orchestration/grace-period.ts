// The grace period at the end of a reconcileHost execution. A change ingested right after
// markReconciled's read pokes the running instance with `inputsChanged` (poke.ts), and catching
// it here beats waiting for the resync timer. Pokes carry the generation they bumped the host
// to; events that arrived earlier in the execution (the burst that the coalescing window or
// the PATCH already covered) are still queued, and those at or below the generation this
// execution reconciled are skipped, so they do not cost another execution.
import type { OrchestrationContext, Task } from "../../runtime.ts";
import { INPUTS_CHANGED_EVENT } from "./contracts.ts";
import type { ReconcileTiming } from "./timing.ts";

/** True when the event reports nothing newer than `known` (a poke without a generation is news). */
export function isStalePoke(data: unknown, known: number): boolean {
  const g = typeof data === "object" && data !== null ? (data as { generation?: unknown }).generation : undefined;
  return typeof g === "number" && g <= known;
}

/** Waits up to `graceMs` for an `inputsChanged` newer than `known`; true when one came. */
export function* lateChange(ctx: OrchestrationContext, t: ReconcileTiming, known: number): Generator<Task, boolean, unknown> {
  if (t.graceMs <= 0) return false;
  const deadline = new Date(ctx.df.currentUtcDateTime.getTime() + t.graceMs);
  for (;;) {
    const timer = ctx.df.createTimer(deadline);
    const changed = ctx.df.waitForExternalEvent(INPUTS_CHANGED_EVENT);
    const winner: unknown = yield ctx.df.Task.any([changed, timer]);
    if (winner !== changed) return false;
    timer.cancel();
    if (!isStalePoke(changed.result, known)) return true;
  }
}
