// reconcileHost's error classes against the ARM peer (DESIGN §5): retryable failures back off
// on durable timers (409, 429 honouring Retry-After); one bad identity among five fails alone;
// a deleted or deleting host fails its assignments without a hot loop.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { EventType, type HistoryEvent } from "../../../sandbox/durable-host/index.ts";
import { timerInput } from "../../../sandbox/functions-kit/index.ts";
import { armIdentity, sendSnapshot, startMicTestApp, type MicTestApp } from "../../helpers/mic-app.ts";
import { binding, identity, NODE_RG, pod, SUB, uaiId, vmssId, vmssNode } from "../../helpers/mic-fixtures.ts";

let app: MicTestApp;
before(async () => { app = await startMicTestApp(); });
after(async () => { await app.stop(); });

const scaleSet = (name: string): string => app.arm.addScaleSet({ subscriptionId: SUB, resourceGroup: NODE_RG, name, location: "westeurope" });
const onHost = (hostId: string): string[] => (app.arm.host(hostId)?.userAssignedIdentities ?? []).map((i) => i.toLowerCase());
const requestsFor = (name: string, method?: string) =>
  app.arm.log.filter((l) => l.path.toLowerCase().includes(`/${name.toLowerCase()}?`) && (method === undefined || l.method === method));

/**
 * One pod per identity on one node of `vmss`, all bound through their own binding, sent as one
 * snapshot (one plan). Names in `missing` are bound in the cluster but do not exist in Azure.
 */
async function podsWithIdentities(cluster: string, vmss: string, names: string[], missing: string[] = []): Promise<string[]> {
  const ids = names.map((n) => (missing.includes(n) ? uaiId(n) : armIdentity(app.arm, n)));
  await sendSnapshot(app, cluster, {
    identities: names.map((n) => identity("default", n)),
    bindings: names.map((n) => binding("default", `b-${n}`, n, n)),
    nodes: [vmssNode(`${vmss}-n0`, vmss, 0)],
    pods: names.map((n) => pod("default", `${n}-pod`, `${vmss}-n0`, n)),
  });
  return ids;
}

const timersOf = (h: HistoryEvent[]) => h.filter((e) => e.EventType === EventType.TimerCreated)
  .map((e) => ({ at: Date.parse(e.Timestamp), fireAt: Date.parse(String(e.FireAt)) }));

test("409 Conflict → durable backoff timer → retried from GET → Assigned", async () => {
  const cluster = "c409";
  const hostId = scaleSet("vmss-409");
  app.arm.scriptError({ status: 409, code: "Conflict", message: "The request failed due to conflict with a concurrent request.", method: "PATCH", pathPattern: "vmss-409" });
  await podsWithIdentities(cluster, "vmss-409", ["id-409"]);
  await app.settle();
  assert.equal(app.publisher.statuses().get("default/id-409-pod-default-id-409"), "Assigned");
  assert.equal(app.arm.writesFor(hostId), 2, "the refused PATCH and the retry");
  const gets = requestsFor("vmss-409", "GET").length;
  assert.ok(gets >= 3, `GET before each PATCH and to verify (${gets})`);
  const backoff = timersOf(await app.host.history(app.instanceId(cluster, hostId))).find((t) => t.fireAt - t.at >= 5_000);
  assert.ok(backoff, "a backoff timer of at least retryBaseMs");
  const record = await app.deps.store.getHostRecord(cluster, hostId);
  assert.equal(record?.lastError, null);
});

test("429 with Retry-After: the retry timer fires no earlier than Retry-After", async () => {
  const cluster = "c429";
  const hostId = scaleSet("vmss-429");
  app.arm.script429(1, 120, { method: "PATCH", pathPattern: "vmss-429" });
  await podsWithIdentities(cluster, "vmss-429", ["id-429"]);
  await app.settle();
  assert.equal(app.publisher.statuses().get("default/id-429-pod-default-id-429"), "Assigned");
  const patches = requestsFor("vmss-429", "PATCH");
  assert.deepEqual(patches.map((p) => p.status), [429, 200]);
  const timers = timersOf(await app.host.history(app.instanceId(cluster, hostId)));
  const retry = timers.find((t) => t.fireAt - t.at >= 120_000);
  assert.ok(retry, `a timer honouring Retry-After 120 s: ${JSON.stringify(timers.map((t) => t.fireAt - t.at))}`);
  assert.ok(retry.fireAt - retry.at < 121_000, "and not much longer");
});

test("one bad identity among five: FailedIdentityOperation drops only it; the other four end Assigned", async () => {
  const cluster = "bad1";
  const hostId = scaleSet("vmss-bad1");
  const good = ["g1", "g2", "g3", "g4"].map((n) => `id-bad1-${n}`);
  await podsWithIdentities(cluster, "vmss-bad1", [...good.slice(0, 2), "id-bad1-missing", ...good.slice(2)], ["id-bad1-missing"]);
  await app.settle();
  const patches = requestsFor("vmss-bad1", "PATCH");
  assert.deepEqual(patches.map((p) => [p.status, Object.keys((p.body as { identity: { userAssignedIdentities: object } }).identity.userAssignedIdentities).length]),
    [[400, 5], [200, 4]], "the five together, refused; then the other four at once");
  const statuses = app.publisher.statuses();
  for (const n of good) assert.equal(statuses.get(`default/${n}-pod-default-${n}`), "Assigned", n);
  assert.equal(statuses.get("default/id-bad1-missing-pod-default-id-bad1-missing"), "Failed");
  const failed = app.publisher.latest().get("default/id-bad1-missing-pod-default-id-bad1-missing");
  assert.match(failed?.assignedIdentity.status?.message ?? "", /^FailedIdentityOperation: .*was not found/);
  assert.deepEqual(onHost(hostId).sort(), good.map((n) => uaiId(n).toLowerCase()).sort());
  const record = await app.deps.store.getHostRecord(cluster, hostId);
  assert.equal(record?.lastError?.code, "PODID_ARM_IDENTITY_REJECTED");
});

test("LinkedAuthorizationFailed (no assign permission) fails only the identities it names", async () => {
  const cluster = "linked";
  const hostId = scaleSet("vmss-linked");
  app.arm.denyAssign(uaiId("id-lk-denied"));
  const [ok] = await podsWithIdentities(cluster, "vmss-linked", ["id-lk-ok", "id-lk-denied"]);
  assert.ok(ok);
  await app.settle();
  const statuses = app.publisher.statuses();
  assert.equal(statuses.get("default/id-lk-ok-pod-default-id-lk-ok"), "Assigned");
  assert.equal(statuses.get("default/id-lk-denied-pod-default-id-lk-denied"), "Failed");
  assert.match(app.publisher.latest().get("default/id-lk-denied-pod-default-id-lk-denied")?.assignedIdentity.status?.message ?? "", /^LinkedAuthorizationFailed: /);
  assert.deepEqual(onHost(hostId), [ok.toLowerCase()]);
});

test("host deleted: assignments Failed, lastError recorded, bounded ARM calls; the resync timer retries only after its cool-down", async () => {
  const cluster = "gone";
  const name = "vmss-gone";
  await podsWithIdentities(cluster, name, ["id-gone"]);
  await app.settle();
  assert.equal(app.publisher.statuses().get("default/id-gone-pod-default-id-gone"), "Failed");
  assert.match(app.publisher.latest().get("default/id-gone-pod-default-id-gone")?.assignedIdentity.status?.message ?? "", /^ResourceNotFound: /);
  const record = await app.deps.store.getHostRecord(cluster, vmssId(name));
  assert.equal(record?.lastError?.code, "ResourceNotFound");
  assert.equal(record?.reconciledGeneration, record?.generation);
  const calls = () => requestsFor(name).length;
  assert.equal(calls(), 1, "one GET, no PATCH, no retry loop");
  await app.host.advance(60 * 60_000);
  assert.equal(calls(), 1, "an hour later: still nothing");
  const tick = () => app.kit.invoke("micResync", { trigger: timerInput(), inputs: { durableClient: app.host.durableClientInput() } });
  await tick();
  await app.settle();
  assert.equal(calls(), 2, "the timer retries a failed host once its cool-down passed");
  await tick();
  await app.settle();
  assert.equal(calls(), 2, "…and not again before the next cool-down");
});

test("scale set marked for deletion: 409 OperationNotAllowed is host-level, not retried", async () => {
  const cluster = "deleting";
  const hostId = scaleSet("vmss-deleting");
  app.arm.markDeleting(hostId);
  await podsWithIdentities(cluster, "vmss-deleting", ["id-deleting"]);
  await app.settle();
  assert.equal(app.arm.writesFor(hostId), 1);
  assert.equal(app.publisher.statuses().get("default/id-deleting-pod-default-id-deleting"), "Failed");
  assert.match((await app.deps.store.getHostRecord(cluster, hostId))?.lastError?.message ?? "", /marked for deletion/);
});

test("AuthorizationFailed on the scale set: host-level, one write", async () => {
  const cluster = "denied";
  const hostId = scaleSet("vmss-denied");
  app.arm.denyWrite(hostId);
  await podsWithIdentities(cluster, "vmss-denied", ["id-denied"]);
  await app.settle();
  assert.equal(app.arm.writesFor(hostId), 1);
  assert.equal((await app.deps.store.getHostRecord(cluster, hostId))?.lastError?.code, "AuthorizationFailed");
  assert.match(app.publisher.latest().get("default/id-denied-pod-default-id-denied")?.assignedIdentity.status?.message ?? "", /^AuthorizationFailed: /);
});

test("a preempted operation (Canceled) is retried", async () => {
  const cluster = "preempt";
  const hostId = scaleSet("vmss-preempt");
  app.arm.scriptOperationFailure({ code: "OperationPreempted", message: "The operation has been preempted by a more recent operation" });
  await podsWithIdentities(cluster, "vmss-preempt", ["id-preempt"]);
  await app.settle();
  assert.equal(app.arm.writesFor(hostId), 2);
  assert.equal(app.publisher.statuses().get("default/id-preempt-pod-default-id-preempt"), "Assigned");
});
