// Scale-out bursts: identical requests share one upstream call; IMDS's limits (5 concurrent,
// 20/s, 429 above) are respected by NMI's limiter, and throttling is absorbed by retries.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { AzureIdentity } from "../../../core/index.ts";
import { assigned, identity, pod } from "../../helpers/nmi-fixtures.ts";
import { NmiHarness } from "../../helpers/nmi-harness.ts";

const RES = "https://management.azure.com/";

function metricValue(text: string, name: string): number {
  return text
    .split("\n")
    .filter((l) => l.startsWith(name) && !l.startsWith("#"))
    .reduce((sum, l) => sum + Number(l.split(" ").pop()), 0);
}

/** `n` pods 127.0.1.x, each bound (Assigned) to its own identity on the host. */
async function seedPods(h: NmiHarness, n: number, prefix: string, third: number): Promise<Array<{ ip: string; id: AzureIdentity }>> {
  const out: Array<{ ip: string; id: AzureIdentity }> = [];
  for (let i = 0; i < n; i++) {
    const ip = `127.0.${third}.${i + 2}`;
    const id = identity(`${prefix}-${i}`);
    const p = pod(`${prefix}-pod-${i}`, { ip, label: `${prefix}-${i}` });
    h.assignToHost(id);
    await h.apply("pods", p);
    await h.apply("azureassignedidentities", assigned(p, id, { status: "Assigned" }));
    out.push({ ip, id });
  }
  return out;
}

describe("default limits (NMI 5 concurrent / 20 per s = IMDS's)", () => {
  let h: NmiHarness;
  before(async () => {
    h = await NmiHarness.start({ nmi: { waitBudgetMs: 8000 }, imdsLatencyMs: 30 });
  });
  after(() => h.close());

  test("200 concurrent requests for one identity from 20 pods → exactly one upstream call", async () => {
    const shared = identity("shared");
    h.assignToHost(shared);
    const ips: string[] = [];
    for (let i = 0; i < 20; i++) {
      const p = pod(`replica-${i}`, { ip: `127.0.2.${i + 2}`, label: "keda" });
      ips.push(`127.0.2.${i + 2}`);
      await h.apply("pods", p);
      await h.apply("azureassignedidentities", assigned(p, shared, { status: "Assigned" }));
    }
    const before = h.imds.tokenRequests;
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => h.token(ips[i % ips.length] ?? "", { resource: RES })));
    assert.deepEqual([...new Set(results.map((r) => r.status))], [200]);
    assert.equal(new Set(results.map((r) => r.json.access_token)).size, 1);
    assert.equal(h.imds.tokenRequests - before, 1);
    const m = await h.metrics();
    assert.ok(metricValue(m, "podid_nmi_token_cache_misses_total") >= 1);
  });

  test("30 distinct identities at once: NMI paces them, IMDS never throttles", async () => {
    const pods = await seedPods(h, 30, "paced", 3);
    const started = Date.now();
    const results = await Promise.all(pods.map((p) => h.token(p.ip, { resource: RES })));
    assert.deepEqual([...new Set(results.map((r) => r.status))], [200]);
    assert.ok(Date.now() - started >= 900, "30 starts at ≤ 20/s take more than a second");
    const m = await h.metrics();
    assert.equal(metricValue(m, 'aadpodidentity_imds_operations_duration_seconds_count{operation_type="token",status_code="429"}'), 0);
    assert.ok(metricValue(m, "podid_nmi_upstream_inflight") <= 5);
  });

  test("scripted upstream 429 (with Retry-After) is absorbed by NMI's retry", async () => {
    const [p] = await seedPods(h, 1, "scripted", 4);
    h.imds.scriptError({ status: 429, error: "too_many_requests", times: 2, retryAfterSeconds: 0 });
    const before = h.imds.tokenRequests;
    const r = await h.token(p?.ip ?? "", { resource: RES });
    assert.equal(r.status, 200, r.text);
    assert.equal(h.imds.tokenRequests - before, 3);
  });
});

describe("NMI limiter looser than IMDS: real 429s, absorbed", () => {
  let h: NmiHarness;
  before(async () => {
    h = await NmiHarness.start({
      nmi: { waitBudgetMs: 8000, upstreamConcurrency: 20, upstreamRatePerSecond: 200, retryBaseMs: 50 },
      imdsLimits: { concurrent: 5, perSecond: 20 },
      imdsLatencyMs: 40,
    });
  });
  after(() => h.close());

  test("30 distinct identities at once: IMDS throttles, every request still gets 200", async () => {
    const pods = await seedPods(h, 30, "burst", 6);
    const results = await Promise.all(pods.map((p) => h.token(p.ip, { resource: RES })));
    assert.deepEqual([...new Set(results.map((r) => r.status))], [200], results.find((r) => r.status !== 200)?.text);
    const m = await h.metrics();
    assert.ok(metricValue(m, 'aadpodidentity_imds_operations_duration_seconds_count{operation_type="token",status_code="429"}') > 0, "IMDS did throttle");
  });
});

describe("IMDS outage", () => {
  let h: NmiHarness;
  before(async () => {
    h = await NmiHarness.start({ nmi: { waitBudgetMs: 500 } });
  });
  after(() => h.close());

  test("upstream 5xx beyond the budget → 503 with Retry-After (transient), after several retries", async () => {
    const [p] = await seedPods(h, 1, "outage", 7);
    h.imds.scriptError({ status: 500, error: "server_error", times: 1000 });
    const before = h.imds.tokenRequests;
    const r = await h.token(p?.ip ?? "", { resource: RES });
    assert.deepEqual([r.status, r.code], [503, "PODID_NMI_UPSTREAM_UNAVAILABLE"]);
    assert.ok(r.headers["retry-after"] !== undefined);
    assert.ok(h.imds.tokenRequests - before >= 3, "retried within the budget");
    assert.ok(r.ms < 1500);
  });
});
