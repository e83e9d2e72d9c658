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
  o: { store: NmiStateView; clock: Clock; deadline: number; pollIntervalMs: number; signal: AbortSignal },
): Promise<T> {
  for (;;) {
    const version = o.store.version;
    const decision = evaluate();
    const left = o.deadline - o.clock.now();
    if (!decision.transient || left <= 0 || o.signal.aborted) return decision;
    const nap = new AbortController();
    const onAbort = (): void => nap.abort();
    o.signal.addEventListener("abort", onAbort, { once: true });
    try {
      await Promise.race([o.store.changed(version), o.clock.sleep(Math.min(o.pollIntervalMs, left), nap.signal)]);
    } finally {
      nap.abort();
      o.signal.removeEventListener("abort", onAbort);
    }
  }
}
