// Cold bursts must not leak abort listeners: before the fix every request added a listener to
// NMI's one stop signal (and every upstream call another), so 200 concurrent requests printed
// "MaxListenersExceededWarning: Possible EventTarget memory leak detected" — a real leak
// signal that operators learn to ignore. The burst below must emit no process warning at all.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { assigned, identity, pod } from "../../helpers/nmi-fixtures.ts";
import { NmiHarness } from "../../helpers/nmi-harness.ts";

const RES = "https://management.azure.com/";

/** Collects process warnings emitted while `fn` runs (and a moment after: they are async). */
async function warningsDuring(fn: () => Promise<void>): Promise<Error[]> {
  const seen: Error[] = [];
  const onWarning = (w: Error): void => void seen.push(w);
  process.on("warning", onWarning);
  try {
    await fn();
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off("warning", onWarning);
  }
  return seen;
}

// Node warns once per signal, so each burst gets a fresh NMI (a warning from the first burst
// would otherwise hide one from the second).
function freshNmi(): () => NmiHarness {
  let h: NmiHarness | undefined;
  before(async () => {
    // IMDS latency keeps the single-flight fetch (and so all waiters) open long enough to
    // overlap; the wait budget covers the limiter's pacing of the distinct-identity burst.
    h = await NmiHarness.start({ nmi: { waitBudgetMs: 8000 }, imdsLatencyMs: 150 });
  });
  after(() => h?.close());
  return () => {
    assert.ok(h, "harness started");
    return h;
  };
}

describe("a cold burst of identical requests emits no process warning", () => {
  const harness = freshNmi();

  test("200 identical cold requests: one upstream call, every answer 200, no MaxListenersExceededWarning", async () => {
    const h = harness();
    const shared = identity("warm-me");
    h.assignToHost(shared);
    const ips: string[] = [];
    for (let i = 0; i < 10; i++) {
      const ip = `127.0.9.${i + 2}`;
      ips.push(ip);
      const p = pod(`burst-${i}`, { ip, label: "burst" });
      await h.apply("pods", p);
      await h.apply("azureassignedidentities", assigned(p, shared, { status: "Assigned" }));
    }
    const before = h.imds.tokenRequests;
    let statuses: number[] = [];
    const warnings = await warningsDuring(async () => {
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => h.token(ips[i % ips.length] ?? "", { resource: RES })));
      statuses = results.map((r) => r.status);
    });
    assert.deepEqual([...new Set(statuses)], [200]);
    assert.equal(h.imds.tokenRequests - before, 1, "single flight");
    assert.deepEqual(warnings.map((w) => `${w.name}: ${w.message}`), []);
  });
});

describe("a cold burst of distinct identities emits no process warning", () => {
  const harness = freshNmi();

  test("30 distinct identities queued in the limiter at once: no process warning", async () => {
    const h = harness();
    const ips: string[] = [];
    for (let i = 0; i < 30; i++) {
      const ip = `127.0.10.${i + 2}`;
      ips.push(ip);
      const id = identity(`distinct-${i}`);
      h.assignToHost(id);
      const p = pod(`distinct-${i}`, { ip, label: `distinct-${i}` });
      await h.apply("pods", p);
      await h.apply("azureassignedidentities", assigned(p, id, { status: "Assigned" }));
    }
    let statuses: number[] = [];
    const warnings = await warningsDuring(async () => {
      const results = await Promise.all(ips.map((ip) => h.token(ip, { resource: RES })));
      statuses = results.map((r) => r.status);
    });
    assert.deepEqual([...new Set(statuses)], [200]);
    assert.deepEqual(warnings.map((w) => `${w.name}: ${w.message}`), []);
  });
});
