import assert from "node:assert/strict";
import { test } from "node:test";
import { TokenCache } from "../../../nmi/tokens/cache.ts";
import { LimiterTimeoutError, UpstreamLimiter } from "../../../nmi/tokens/limiter.ts";
import { backoffMs, withRetries } from "../../../nmi/tokens/retry.ts";
import { systemClock, type Token } from "../../../nmi/tokens/types.ts";

const token = (expiresOn: number, accessToken = "t"): Token => ({ accessToken, expiresOn, tokenType: "Bearer", clientId: "c" });

test("cache: hit until the refresh margin, single flight on concurrent misses", async () => {
  let now = 1_000_000_000;
  const cache = new TokenCache({ now: () => now, refreshMarginSeconds: 300 });
  let calls = 0;
  const fetch = async (): Promise<Token> => {
    calls++;
    await new Promise((r) => setTimeout(r, 10));
    return token(now / 1000 + 3600, `t${calls}`);
  };
  const results = await Promise.all(Array.from({ length: 50 }, () => cache.get("k", fetch)));
  assert.equal(calls, 1);
  assert.equal(results.filter((r) => r.outcome === "miss").length, 1);
  assert.equal(results.filter((r) => r.outcome === "shared").length, 49);
  assert.equal((await cache.get("k", fetch)).outcome, "hit");
  now += (3600 - 299) * 1000; // 299 s left: inside the 300 s margin → refresh
  const refreshed = await cache.get("k", fetch);
  assert.equal(refreshed.outcome, "miss");
  assert.equal(refreshed.token.accessToken, "t2");
  // other key, other fetch
  await cache.get("k2", fetch);
  assert.equal(calls, 3);
});

test("cache: failed refresh serves the still-valid token; failures are not cached", async () => {
  let now = 0;
  const cache = new TokenCache({ now: () => now, refreshMarginSeconds: 300 });
  await cache.get("k", async () => token(3600));
  now = 3400 * 1000; // 200 s left: refresh due, old still valid
  const r = await cache.get("k", async () => { throw new Error("upstream down"); });
  assert.equal(r.outcome, "stale-fallback");
  now = 3590 * 1000; // 10 s left: never served
  await assert.rejects(cache.get("k", async () => { throw new Error("upstream down"); }), /upstream down/);
  let n = 0;
  await assert.rejects(cache.get("x", async () => { n++; throw new Error("e"); }));
  await assert.rejects(cache.get("x", async () => { n++; throw new Error("e"); }));
  assert.equal(n, 2);
});

test("cache: a caller that gives up does not cancel the shared fetch", async () => {
  const cache = new TokenCache({ now: () => 0, refreshMarginSeconds: 0 });
  const ac = new AbortController();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const first = cache.get("k", async () => { await gate; return token(3600); }, ac);
  const second = cache.get("k", async () => token(1), undefined);
  ac.abort();
  await assert.rejects(first, /aborted/);
  release();
  assert.equal((await second).token.expiresOn, 3600);
});

test("limiter: never more than N in flight, never more than R starts per rolling second", async () => {
  const limiter = new UpstreamLimiter({ concurrency: 3, ratePerSecond: 8 });
  let inflight = 0;
  let peak = 0;
  const starts: number[] = [];
  const job = async (): Promise<void> => {
    inflight++;
    peak = Math.max(peak, inflight);
    starts.push(Date.now());
    await new Promise((r) => setTimeout(r, 20));
    inflight--;
  };
  const t0 = Date.now();
  await Promise.all(Array.from({ length: 12 }, () => limiter.run(job, Date.now() + 5000)));
  assert.equal(peak, 3);
  assert.equal(starts.length, 12);
  for (const s of starts) assert.ok(starts.filter((x) => x >= s && x < s + 1000).length <= 8);
  assert.ok(Date.now() - t0 >= 900, "the 9th start waited for the window");
});

test("limiter: waiting past the deadline or abort rejects, without running the job", async () => {
  const limiter = new UpstreamLimiter({ concurrency: 1, ratePerSecond: 100 });
  let release!: () => void;
  const busy = limiter.run(() => new Promise<void>((r) => (release = r)), Date.now() + 5000);
  let ran = false;
  await assert.rejects(limiter.run(async () => { ran = true; }, Date.now() + 30), LimiterTimeoutError);
  const ac = new AbortController();
  const aborted = limiter.run(async () => { ran = true; }, Date.now() + 5000, ac.signal);
  ac.abort();
  await assert.rejects(aborted, LimiterTimeoutError);
  release();
  await busy;
  assert.equal(ran, false);
  assert.equal(limiter.inFlight, 0);
});

test("retries: backoff doubles, Retry-After wins, the deadline bounds everything", async () => {
  assert.deepEqual([1, 2, 3, 4, 5].map((a) => backoffMs(a, 100, 1000)), [100, 200, 400, 800, 1000]);
  assert.equal(backoffMs(1, 100, 1000, 2), 2000);
  let attempts = 0;
  const ok = await withRetries(async () => {
    if (++attempts < 3) throw new Error("flaky");
    return "done";
  }, { clock: systemClock, deadline: Date.now() + 2000, signal: new AbortController().signal, baseMs: 5, classify: () => ({ retry: true }) });
  assert.deepEqual([ok, attempts], ["done", 3]);
  attempts = 0;
  await assert.rejects(withRetries(async () => { attempts++; throw new Error("final"); }, {
    clock: systemClock, deadline: Date.now() + 2000, signal: new AbortController().signal, baseMs: 5, classify: () => ({ retry: false }),
  }));
  assert.equal(attempts, 1);
  const started = Date.now();
  await assert.rejects(withRetries(async () => { throw new Error("always"); }, {
    clock: systemClock, deadline: Date.now() + 150, signal: new AbortController().signal, baseMs: 20, classify: () => ({ retry: true }),
  }));
  assert.ok(Date.now() - started < 400);
});

test("cache: bounded — expired entries go first, then the oldest", async () => {
  let now = 0;
  const cache = new TokenCache({ now: () => now, refreshMarginSeconds: 0, maxEntries: 2 });
  await cache.get("short", async () => token(10));
  await cache.get("a", async () => token(3600));
  now = 20_000;
  await cache.get("b", async () => token(3600));
  assert.equal(cache.size, 2);
  let refetched = false;
  await cache.get("a", async () => { refetched = true; return token(3600); });
  assert.equal(refetched, false, "a survived, the expired entry was dropped");
  await cache.get("c", async () => token(3600));
  assert.equal(cache.size, 2);
});
