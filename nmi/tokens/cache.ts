// Token cache per (identity, resource). Entries are served until `refreshMargin` before expiry;
// then the next request refreshes them. Concurrent identical misses share one upstream call
// (single flight): 500 replicas starting at once cost one IMDS request, not 500.
import type { Token } from "./types.ts";

export type CacheOutcome = "hit" | "miss" | "shared" | "stale-fallback";

export interface TokenCacheOptions {
  now: () => number;
  refreshMarginSeconds: number;
  /** A token this close to expiry is never served, even as a fallback. */
  minValiditySeconds?: number;
  maxEntries?: number;
}

export class TokenCache {
  private readonly entries = new Map<string, Token>();
  private readonly inflight = new Map<string, Promise<Token>>();

  constructor(private readonly o: TokenCacheOptions) {}

  get size(): number {
    return this.entries.size;
  }

  private secondsLeft(token: Token): number {
    return token.expiresOn - this.o.now() / 1000;
  }

  /**
   * Returns a fresh-enough cached token, or runs `fetch` (once for all concurrent callers of
   * the same key). `fetch` must not depend on any one caller's lifetime: joiners share it.
   * `abort.signal` only stops *this* caller from waiting; it is read only on a miss, so a
   * holder that creates its signal lazily (RequestScope) pays nothing on a hit.
   */
  /** The cached token if it is fresh enough to serve (what get() calls a hit), synchronously. */
  peek(key: string): Token | undefined {
    const cached = this.entries.get(key);
    return cached && this.secondsLeft(cached) > this.o.refreshMarginSeconds ? cached : undefined;
  }

  async get(key: string, fetch: () => Promise<Token>, abort?: { readonly signal: AbortSignal }): Promise<{ token: Token; outcome: CacheOutcome }> {
    const cached = this.entries.get(key);
    if (cached && this.secondsLeft(cached) > this.o.refreshMarginSeconds) return { token: cached, outcome: "hit" };
    const signal = abort?.signal;
    const running = this.inflight.get(key);
    if (running) return { token: await abortable(running, signal), outcome: "shared" };
    const p = this.fetchAndStore(key, fetch, cached);
    this.inflight.set(key, p);
    const cleanup = (): void => {
      if (this.inflight.get(key) === p) this.inflight.delete(key);
    };
    p.then(cleanup, cleanup);
    const token = await abortable(p, signal);
    return { token, outcome: token === cached ? "stale-fallback" : "miss" };
  }

  private async fetchAndStore(key: string, fetch: () => Promise<Token>, previous: Token | undefined): Promise<Token> {
    try {
      const token = await fetch();
      this.store(key, token);
      return token;
    } catch (err) {
      // Refresh failed but the old token is still good for a while: serve it, retry next time.
      if (previous && this.secondsLeft(previous) > (this.o.minValiditySeconds ?? 60)) return previous;
      throw err;
    }
  }

  private store(key: string, token: Token): void {
    this.entries.delete(key);
    this.entries.set(key, token);
    // Bounded: pods choose `resource`, so drop expired entries, then the least recently stored.
    const max = this.o.maxEntries ?? 10_000;
    if (this.entries.size <= max) return;
    for (const [k, t] of this.entries) if (this.secondsLeft(t) <= 0) this.entries.delete(k);
    for (const k of this.entries.keys()) {
      if (this.entries.size <= max) break;
      this.entries.delete(k);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}

function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(new Error("request aborted"));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new Error("request aborted"));
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => { signal.removeEventListener("abort", onAbort); resolve(v); },
      (e: unknown) => { signal.removeEventListener("abort", onAbort); reject(e instanceof Error ? e : new Error(String(e))); },
    );
  });
}
