// One active replica via a coordination.k8s.io/v1 Lease on the kube peer; probes and metrics.
import assert from "node:assert/strict";
import { test } from "node:test";
import { waitFor } from "../../helpers/forwarder-fakes.ts";
import { applyCommand, leaderReady, LEASE_NS, metricValue, pod, startHarness, type RunningForwarder } from "../../helpers/forwarder-harness.ts";

const named = (name: string) => (b: Record<string, unknown>) =>
  b.op === "upsert" && (b.object as { metadata: { name: string } }).metadata.name === name;

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

function holder(h: Awaited<ReturnType<typeof startHarness>>): string | undefined {
  return (h.kube.get("leases", LEASE_NS, "podid-forwarder")?.spec as { holderIdentity?: string } | undefined)?.holderIdentity;
}

test("two forwarders: one leader does the work; when it stops the other takes over within the lease duration", async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  const a = await h.startForwarder("fwd-a");
  await waitFor(() => leaderReady(a), 8000, "a leads");
  const b = await h.startForwarder("fwd-b");
  h.events.start();
  await new Promise((r) => setTimeout(r, 400)); // several of b's retry periods
  assert.equal(b.forwarder.isLeader, false);
  assert.equal(holder(h), "fwd-a");

  // Standby: ready, reports its role, sends nothing, receives nothing.
  const ports = b.forwarder.ports;
  assert.ok(ports);
  const ready = await get(ports.health, "/readyz");
  assert.equal(ready.status, 200);
  assert.deepEqual(JSON.parse(ready.body), { ready: true, role: "standby", holder: "fwd-a" });
  h.kube.put("pods", pod("p1", { aadpodidbinding: "web" }));
  await h.sendCommand(applyCommand("p1-shop-web-id"));
  await h.events.waitFor(named("p1"));
  await waitFor(() => (h.kube.get("azureassignedidentities", "default", "p1-shop-web-id")?.status as { status?: string } | undefined)?.status === "Assigned");
  assert.equal(await metricValue(b.registry, "podid_forwarder_messages_sent_total"), 0);
  assert.equal(await metricValue(b.registry, "podid_forwarder_commands_total"), 0);
  assert.equal(await metricValue(b.registry, "podid_forwarder_leader"), 0);
  assert.equal(await metricValue(a.registry, "podid_forwarder_leader"), 1);

  // Graceful stop releases the lease: b takes over at its next retry, well within the lease.
  const t0 = Date.now();
  await a.forwarder.stop();
  await waitFor(() => leaderReady(b), 5000, "b leads");
  assert.ok(Date.now() - t0 < 1000, `takeover took ${Date.now() - t0} ms`);
  assert.equal(holder(h), "fwd-b");
  h.kube.put("pods", pod("p2", { aadpodidbinding: "web" }));
  await h.events.waitFor(named("p2"));
  await h.sendCommand(applyCommand("p2-shop-web-id"));
  await waitFor(() => h.kube.get("azureassignedidentities", "default", "p2-shop-web-id") !== undefined, 8000, "b applies commands");
  assert.ok(await metricValue(b.registry, "podid_forwarder_messages_sent_total") >= 2);
});

test("a leader that dies without releasing is replaced once its lease expires", async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  const a = await h.startForwarder("fwd-a");
  await waitFor(() => leaderReady(a), 8000, "a leads");
  const b: RunningForwarder = await h.startForwarder("fwd-b");
  await a.forwarder.stop({ releaseLease: false }); // crash: the lease still names fwd-a
  assert.equal(holder(h), "fwd-a");
  const t0 = Date.now();
  await waitFor(() => b.forwarder.isLeader, 5000, "b leads");
  const took = Date.now() - t0;
  // Lease duration 1 s (+ retry period and jitter).
  assert.ok(took >= 700 && took < 2000, `takeover after ${took} ms`);
  await waitFor(() => leaderReady(b), 5000);
});

test("/healthz, /readyz and /metrics of the leader", async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  const a = await h.startForwarder("fwd-a");
  await waitFor(() => leaderReady(a), 8000, "a leads");
  const ports = a.forwarder.ports;
  assert.ok(ports);
  assert.equal((await get(ports.health, "/healthz")).status, 200);
  const ready = await get(ports.health, "/readyz");
  assert.equal(ready.status, 200);
  const body = JSON.parse(ready.body) as Record<string, unknown>;
  assert.equal(body.role, "leader");
  assert.equal(body.synced, true);
  assert.equal(body.serviceBus, true);
  assert.equal((await get(ports.health, "/metrics")).status, 404, "metrics live on their own port");
  const metrics = await get(ports.metrics, "/metrics");
  assert.equal(metrics.status, 200);
  for (const name of ["podid_forwarder_events_total", "podid_forwarder_messages_sent_total", "podid_forwarder_send_errors_total",
    "podid_forwarder_queue_depth", "podid_forwarder_snapshots_total", "podid_forwarder_commands_total", "podid_forwarder_leader"]) {
    assert.match(metrics.body, new RegExp(`^# TYPE ${name} `, "m"));
  }
  assert.match(metrics.body, /^podid_forwarder_leader 1$/m);
  assert.match(metrics.body, /^podid_forwarder_snapshots_total 1$/m);

  // Service Bus gone: the leader stops being ready once a send fails.
  await h.bus.stop();
  h.kube.put("pods", pod("during", { aadpodidbinding: "web" }));
  await waitFor(async () => (await get(ports.health, "/readyz")).status === 503, 8000, "not ready during the outage");
  await h.bus.restart();
  await waitFor(async () => (await get(ports.health, "/readyz")).status === 200, 10_000, "ready again");
});
