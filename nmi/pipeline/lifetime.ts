// NMI's "stopping" signal, fanned out. Every request and every shared upstream fetch needs a
// signal that aborts when NMI stops. Adding one abort listener per request to a single shared
// AbortSignal leaks listeners under bursts (Node warns past 10: MaxListenersExceededWarning)
// and AbortSignal.any keeps dependents of a long-lived signal alive. Instead each holder gets
// its own AbortController, registered here; stop() aborts them all; release() forgets one.

export interface Scoped {
  /** Aborted when NMI stops (or by the holder itself through abort()). */
  readonly signal: AbortSignal;
  abort(): void;
  /** Unregisters (no abort); call when the request or fetch is over. Idempotent. */
  release(): void;
}

class Holder implements Scoped {
  private readonly controller = new AbortController();
  constructor(private readonly owner: Set<Holder> | undefined) {
    if (owner) owner.add(this);
    else this.controller.abort();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  abort(): void {
    this.owner?.delete(this);
    this.controller.abort();
  }

  release(): void {
    this.owner?.delete(this);
  }
}

export class Lifetime {
  // Holders are class instances (no closures per request: this is on the per-request path).
  private readonly live = new Set<Holder>();
  private stopped = false;

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Number of registered holders (tests: must return to 0 after a burst). */
  get size(): number {
    return this.live.size;
  }

  scope(): Scoped {
    return new Holder(this.stopped ? undefined : this.live);
  }

  stop(): void {
    this.stopped = true;
    const all = [...this.live];
    this.live.clear();
    for (const h of all) h.abort();
  }
}
