// Re-evaluates a decision until it is no longer transient or the budget is spent. Informer
// changes wake waiters at once; the poll interval is only a fallback.
import type { NmiStateView } from "../state/store.ts";
import type { Clock } from "../tokens/types.ts";

export interface Waitable {
  /** True while the decision may still change by itself (pending assignment, unknown pod…). */
  transient: boolean;
}

export async function waitWhileTransient<T extends Waitable>(
  evaluate: () => T,
  // `caller.signal` is read only when the first evaluation is transient: settled requests (the
  // warm path) never make the request's AbortSignal exist.
  o: { store: NmiStateView; clock: Clock; deadline: number; pollIntervalMs: number; caller: { readonly signal: AbortSignal } },
): Promise<T> {
  for (;;) {
    const version = o.store.version;
    const decision = evaluate();
    if (!decision.transient) return decision;
    const left = o.deadline - o.clock.now();
    const signal = o.caller.signal;
    if (left <= 0 || signal.aborted) return decision;
    const nap = new AbortController();
    const onAbort = (): void => nap.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      await Promise.race([o.store.changed(version, nap.signal), o.clock.sleep(Math.min(o.pollIntervalMs, left), nap.signal)]);
    } finally {
      nap.abort();
      signal.removeEventListener("abort", onAbort);
    }
  }
}
