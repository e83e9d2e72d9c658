// Upstream limiter shared by every IMDS call NMI makes (tokens and proxied requests): at most
// `concurrency` in flight and at most `ratePerSecond` starts in any rolling second — IMDS's
// managed-identity limits (5 concurrent, 20/s per VM; 429 above). A rolling window rather
// than a classic token bucket: a bucket of capacity C refilled at r/s admits C + r starts in
// one second, which IMDS would throttle. The window is 1 s plus a small guard, because IMDS
// timestamps a start when the request arrives, a little after we sent it.

const WINDOW_MS = 1000 + 25;

export class LimiterTimeoutError extends Error {
  override readonly name = "LimiterTimeoutError";
}

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

export interface LimiterOptions {
  concurrency: number;
  ratePerSecond: number;
  now?: () => number;
  onInflightChange?: (inflight: number) => void;
}

export class UpstreamLimiter {
  private inflight = 0;
  private readonly starts: number[] = [];
  private readonly queue: Waiter[] = [];
  private pumpTimer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly perWindow: number;

  constructor(private readonly opts: LimiterOptions) {
    this.now = opts.now ?? Date.now;
    this.perWindow = Math.max(1, Math.floor(opts.ratePerSecond));
  }

  get inFlight(): number {
    return this.inflight;
  }

  /** Runs `fn` once a slot is free; rejects with LimiterTimeoutError if `deadline` passes first. */
  async run<T>(fn: () => Promise<T>, deadline: number, signal?: AbortSignal): Promise<T> {
    await this.acquire(deadline, signal);
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  private canStart(): boolean {
    const now = this.now();
    while (this.starts.length > 0 && (this.starts[0] ?? 0) <= now - WINDOW_MS) this.starts.shift();
    return this.inflight < this.opts.concurrency && this.starts.length < this.perWindow;
  }

  private take(): void {
    this.inflight++;
    this.starts.push(this.now());
    this.opts.onInflightChange?.(this.inflight);
  }

  private acquire(deadline: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new LimiterTimeoutError("request aborted"));
    if (this.queue.length === 0 && this.canStart()) {
      this.take();
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const remove = (): void => {
        const i = this.queue.indexOf(waiter);
        if (i !== -1) this.queue.splice(i, 1);
        clearTimeout(waiter.timer);
        signal?.removeEventListener("abort", waiter.onAbort);
      };
      const waiter: Waiter = {
        resolve: () => { remove(); resolve(); },
        reject: (e) => { remove(); reject(e); },
        timer: setTimeout(() => waiter.reject(new LimiterTimeoutError("no upstream slot before the deadline")), Math.max(0, deadline - this.now())),
        signal,
        onAbort: () => waiter.reject(new LimiterTimeoutError("request aborted")),
      };
      signal?.addEventListener("abort", waiter.onAbort, { once: true });
      this.queue.push(waiter);
      this.pump();
    });
  }

  private release(): void {
    this.inflight--;
    this.opts.onInflightChange?.(this.inflight);
    this.pump();
  }

  private pump(): void {
    while (this.queue.length > 0 && this.canStart()) {
      const next = this.queue[0];
      if (!next) break;
      this.take();
      next.resolve();
    }
    if (this.queue.length > 0 && this.inflight < this.opts.concurrency && this.pumpTimer === undefined) {
      // Blocked by the rate window: wake when its oldest start leaves the window.
      const wait = Math.max(1, (this.starts[0] ?? this.now()) + WINDOW_MS - this.now());
      this.pumpTimer = setTimeout(() => {
        this.pumpTimer = undefined;
        this.pump();
      }, wait);
    }
  }

  /** Rejects every waiter (shutdown). */
  close(): void {
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    this.pumpTimer = undefined;
    for (const w of [...this.queue]) w.reject(new LimiterTimeoutError("NMI is stopping"));
  }
}
