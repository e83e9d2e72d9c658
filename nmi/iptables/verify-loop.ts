// Periodic re-verification (aad-pod-identity: every 60 s). Another agent flushing nat
// (a CNI restart, an admin, iptables-restore without --noflush) silently disables interception,
// so the rules are checked and repaired on a timer. Runs never overlap.
import type { EnsureResult, IptablesManager } from "./manager.ts";

export const DEFAULT_VERIFY_INTERVAL_MS = 60_000;

export interface VerifyLoopOptions {
  intervalMs?: number;
  onResult?(result: EnsureResult): void;
  onError?(err: unknown): void;
  /** Injected for tests. */
  setTimer?: (fn: () => void, ms: number) => { unref?(): unknown };
  clearTimer?: (t: { unref?(): unknown }) => void;
}

export interface VerifyLoop {
  /** Runs one verification now (also what the timer calls); resolves with whether drift was repaired. */
  verifyNow(): Promise<boolean>;
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

export function startVerifyLoop(manager: IptablesManager, opts: VerifyLoopOptions = {}): VerifyLoop {
  const interval = opts.intervalMs ?? DEFAULT_VERIFY_INTERVAL_MS;
  if (!(interval > 0)) throw new Error(`verify interval must be > 0 ms, got ${interval}`);
  const setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = opts.clearTimer ?? ((t) => clearTimeout(t as ReturnType<typeof setTimeout>));
  let timer: { unref?(): unknown } | null = null;
  let running: Promise<boolean> | null = null;
  let stopped = false;

  async function runOnce(): Promise<boolean> {
    try {
      const result = await manager.ensure();
      opts.onResult?.(result);
      return result.repaired;
    } catch (err) {
      opts.onError?.(err);
      return false;
    }
  }

  function verifyNow(): Promise<boolean> {
    running ??= runOnce().finally(() => { running = null; });
    return running;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimer(() => {
      timer = null;
      void verifyNow().finally(schedule);
    }, interval);
    // The loop must not keep a process alive on its own; the HTTP server does that.
    timer.unref?.();
  }

  schedule();
  return {
    verifyNow,
    async stop() {
      stopped = true;
      if (timer !== null) clearTimer(timer);
      timer = null;
      if (running !== null) await running;
    },
  };
}
