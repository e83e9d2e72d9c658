// IMDS's per-VM limit for the managed-identity category: N token requests per second (sliding
// window) and M at once; anything above gets 429 rather than waiting.
export class ImdsLimiter {
  private starts: number[] = [];
  private active = 0;

  constructor(private readonly perSecond: number, private readonly concurrent: number) {}

  /** A release function, or undefined when the request must be throttled. */
  tryAcquire(): (() => void) | undefined {
    const now = Date.now();
    this.starts = this.starts.filter((t) => now - t < 1000);
    if (this.active >= this.concurrent || this.starts.length >= this.perSecond) return undefined;
    this.starts.push(now);
    this.active++;
    let released = false;
    return () => {
      if (!released) this.active--;
      released = true;
    };
  }
}
