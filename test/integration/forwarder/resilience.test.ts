// Outages and old-style 410s: nothing the forwarder saw may be lost.
import assert from "node:assert/strict";
import { test } from "node:test";
import { waitFor } from "../../helpers/forwarder-fakes.ts";
import { leaderReady, metricValue, pod, startHarness } from "../../helpers/forwarder-harness.ts";

const named = (name: string, op = "upsert") => (b: Record<string, unknown>) =>
  b.op === op && (b.object as { metadata: { name: string } }).metadata.name === name;

test("a ~2 s Service Bus outage loses no event", async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  const fwd = await h.startForwarder();
  h.events.start();
  await waitFor(() => leaderReady(fwd), 8000, "ready");
  await h.events.waitFor((b) => b.kind === "Snapshot");

  const outage = h.bus.outage(2000);
  await new Promise((r) => setTimeout(r, 100));
  for (let i = 0; i < 10; i++) h.kube.put("pods", pod(`during-${i}`, { aadpodidbinding: "web" }));
  h.kube.put("pods", pod("during-0", { aadpodidbinding: "web", version: "2" })); // coalesces with its first state
  await outage;
  h.kube.put("pods", pod("after", { aadpodidbinding: "web" }));
  for (let i = 0; i < 10; i++) await h.events.waitFor(named(`during-${i}`), 15_000, `during-${i}`);
  await h.events.waitFor(named("after"), 10_000, "after");
  const d0 = h.events.bodies().filter(named("during-0")).map((b) => (b.object as { metadata: { labels: Record<string, string> } }).metadata.labels.version);
  assert.equal(d0.at(-1), "2", "the latest state of a coalesced object is delivered");
  assert.ok(await metricValue(fwd.registry, "podid_forwarder_send_errors_total") >= 1, "the outage was noticed and retried");
  await waitFor(() => leaderReady(fwd), 5000, "ready again");
  assert.equal(await metricValue(fwd.registry, "podid_forwarder_queue_depth"), 0);
});

test("a full queue drops per-object events and repairs with a snapshot", async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  const fwd = await h.startForwarder("fwd-a", { maxQueuedEvents: 3, batchMaxWaitMs: 500 });
  h.events.start();
  await waitFor(() => leaderReady(fwd), 8000, "ready");
  await h.events.waitFor((b) => b.kind === "Snapshot");
  for (let i = 0; i < 6; i++) h.kube.put("pods", pod(`burst-${i}`, { aadpodidbinding: "web" }));
  const snap = await h.events.waitFor((b) => b.kind === "Snapshot" && (b.objects as unknown[]).length === 6, 8000, "repair snapshot");
  assert.equal((snap.body as { parts: number }).parts, 1);
  assert.equal(await metricValue(fwd.registry, "podid_forwarder_snapshots_total"), 2);
});

test("410 answered as an HTTP status (older servers) also relists", async (t) => {
  const h = await startHarness({ watchExpiredAs: "status" });
  t.after(() => h.close());
  const fwd = await h.startForwarder();
  h.events.start();
  await waitFor(() => leaderReady(fwd), 8000, "ready");
  h.kube.dropWatches();
  h.kube.put("azureidentitybindings", { metadata: { name: "b-away", namespace: "shop" }, spec: { azureIdentity: "id", selector: "web" } });
  h.kube.compact();
  const m = await h.events.waitFor((b) => b.kind === "AzureIdentityBinding" && (b.object as { metadata: { name: string } }).metadata.name === "b-away", 8000);
  assert.equal(m.sessionId, "c1");
  assert.ok(h.kube.requests.some((r) => r.status === 410), "the peer did answer 410");
});

test("a failing list is retried with backoff until the API server recovers", async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  h.kube.injectError({ method: "GET", pathPrefix: "/api/v1/nodes", status: 500, times: 3 });
  const fwd = await h.startForwarder();
  h.events.start();
  await waitFor(() => leaderReady(fwd), 8000, "ready after retries");
  assert.ok(await metricValue(fwd.registry, "podid_forwarder_watch_restarts_total", { kind: "Node" }) >= 3);
  await h.events.waitFor((b) => b.kind === "Snapshot");
});
