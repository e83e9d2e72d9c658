// reconcileHost's retryable failures beyond 409/429 (reconcile-errors.test.ts): 5xx backs off on
// durable timers and recovers; a host that keeps failing stops after the retry budget with
// lastError recorded and is left alone (no hot loop) until the resync timer's cool-down; the
// long-running operation is polled at ARM's Retry-After.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { EventType, type HistoryEvent } from "../../../sandbox/durable-host/index.ts";
import { armIdentity, sendSnapshot, startMicTestApp, type MicTestApp } from "../../helpers/mic-app.ts";
import { binding, identity, NODE_RG, pod, SUB, vmssNode } from "../../helpers/mic-fixtures.ts";

const MAX_RETRIES = 3;
let app: MicTestApp;
before(async () => { app = await startMicTestApp({ timing: { maxRetries: MAX_RETRIES } }); });
after(async () => { await app.stop(); });

const scaleSet = (name: string): string => app.arm.addScaleSet({ subscriptionId: SUB, resourceGroup: NODE_RG, name, location: "westeurope" });
const requestsFor = (name: string, method?: string) =>
  app.arm.log.filter((l) => l.path.toLowerCase().includes(`/${name.toLowerCase()}`) && (method === undefined || l.method === method));
const timersOf = (h: HistoryEvent[]) => h.filter((e) => e.EventType === EventType.TimerCreated)
  .map((e) => Date.parse(String(e.FireAt)) - Date.parse(e.Timestamp));

async function onePod(cluster: string, vmss: string, name: string): Promise<void> {
  armIdentity(app.arm, name);
  await sendSnapshot(app, cluster, {
    identities: [identity("default", name)], bindings: [binding("default", `b-${name}`, name, name)],
    nodes: [vmssNode(`${vmss}-0`, vmss, 0)], pods: [pod("default", `${name}-pod`, `${vmss}-0`, name)],
  });
}

test("503 on the GET twice: exponential durable backoff, then Assigned", async () => {
  const cluster = "c503";
  const hostId = scaleSet("vmss-503");
  app.arm.scriptError({ status: 503, code: "ServiceUnavailable", message: "try later", method: "GET", pathPattern: "vmss-503", times: 2 });
  await onePod(cluster, "vmss-503", "id-503");
  await app.settle();
  assert.equal(app.publisher.statuses().get("default/id-503-pod-default-id-503"), "Assigned");
  assert.deepEqual(requestsFor("vmss-503", "GET").slice(0, 3).map((l) => l.status), [503, 503, 200]);
  const delays = timersOf(await app.host.history(app.instanceId(cluster, hostId)));
  assert.ok(delays.includes(5_000) && delays.includes(10_000), `backoff 5 s then 10 s: ${JSON.stringify(delays)}`);
  assert.equal(app.arm.writesFor(hostId), 1);
  assert.equal((await app.deps.store.getHostRecord(cluster, hostId))?.lastError, null);
});

test("a host whose PATCH keeps failing with 500: bounded retries, lastError, Created (not Failed), then quiet", async () => {
  const cluster = "c500";
  const hostId = scaleSet("vmss-500");
  app.arm.scriptError({ status: 500, code: "InternalServerError", message: "An unexpected error occured", method: "PATCH", pathPattern: "vmss-500", times: 1_000 });
  await onePod(cluster, "vmss-500", "id-500");
  await app.settle();
  assert.equal(app.arm.writesFor(hostId), MAX_RETRIES + 1, "the first try and maxRetries retries");
  const record = await app.deps.store.getHostRecord(cluster, hostId);
  assert.equal(record?.lastError?.code, "InternalServerError");
  assert.match(record?.lastError?.message ?? "", /gave up after 4 retries/);
  assert.equal(record?.reconciledGeneration, record?.generation);
  assert.equal(app.publisher.statuses().get("default/id-500-pod-default-id-500"), "Created", "transient: not a refusal");
  assert.equal((await app.host.getStatus(app.instanceId(cluster, hostId)))?.runtimeStatus, "Completed");
  const calls = requestsFor("vmss-500").length;
  await app.host.advance(10 * 60_000);
  assert.equal(requestsFor("vmss-500").length, calls, "no request for ten minutes: no hot loop");
  app.arm.clearFaults();
});

test("the long-running operation is polled at ARM's Retry-After, not the default interval", async () => {
  const cluster = "cpoll";
  const hostId = scaleSet("vmss-poll");
  app.arm.setRetryAfter(30);
  app.arm.setOperationDuration(undefined);
  const logStart = app.arm.log.length;
  try {
    await onePod(cluster, "vmss-poll", "id-poll");
    await app.host.runUntilIdle();
    await app.host.advance(65_000);
    const polls = app.arm.log.slice(logStart).filter((l) => l.path.includes("/operations/")).length;
    assert.ok(polls >= 2 && polls <= 3, `polled about every 30 s for 65 s (${polls})`);
    const delays = timersOf(await app.host.history(app.instanceId(cluster, hostId)));
    assert.ok(delays.filter((d) => d === 30_000).length >= 2, JSON.stringify(delays));
    assert.ok(!delays.includes(2_000), "not the default poll interval");
  } finally {
    app.arm.setRetryAfter(0);
    app.arm.setOperationDuration(0);
    app.arm.releaseOperations();
  }
  await app.settle();
  assert.equal(app.publisher.statuses().get("default/id-poll-pod-default-id-poll"), "Assigned");
  assert.equal(app.arm.writesFor(hostId), 1);
});
