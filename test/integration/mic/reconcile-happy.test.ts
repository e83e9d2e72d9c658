// reconcileHost end to end on the durable host: events through micEvents → state in Azurite →
// orchestration → ARM peer via @azure/arm-compute (LRO polled on durable timers) → Assigned
// AzureAssignedIdentities published; removal when the pod goes; type-1 identities need no PATCH.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { armIdentity, sendAll, startMicTestApp, type MicTestApp } from "../../helpers/mic-app.ts";
import { binding, identity, NODE_RG, pod, SUB, uaiId, vmssNode } from "../../helpers/mic-fixtures.ts";
import { EventType } from "../../../sandbox/durable-host/index.ts";

let app: MicTestApp;
before(async () => { app = await startMicTestApp(); });
after(async () => { await app.stop(); });

const scaleSet = (name: string): string => app.arm.addScaleSet({ subscriptionId: SUB, resourceGroup: NODE_RG, name, location: "westeurope" });
const onHost = (hostId: string): string[] => (app.arm.host(hostId)?.userAssignedIdentities ?? []).map((i) => i.toLowerCase());

test("pod + binding + identity → identity on the scale set, AzureAssignedIdentity Assigned, one PATCH", async () => {
  const cluster = "happy";
  const hostId = scaleSet("vmss-happy");
  const id = armIdentity(app.arm, "id-happy");
  await sendAll(app, cluster, {
    identities: [identity("default", "id-happy")],
    bindings: [binding("default", "b-happy", "id-happy", "web")],
    nodes: [vmssNode("n0", "vmss-happy", 0), vmssNode("n1", "vmss-happy", 1)],
    pods: [pod("default", "web-0", "n0", "web"), pod("default", "web-1", "n1", "web")],
  });
  await app.settle();
  assert.deepEqual(onHost(hostId), [id.toLowerCase()]);
  assert.equal(app.arm.writesFor(hostId), 1, "one PATCH for both pods on the scale set");
  const statuses = app.publisher.statuses();
  assert.equal(statuses.get("default/web-0-default-id-happy"), "Assigned");
  assert.equal(statuses.get("default/web-1-default-id-happy"), "Assigned");
  const record = await app.deps.store.getHostRecord(cluster, hostId);
  assert.ok(record);
  assert.equal(record.reconciledGeneration, record.generation);
  assert.equal(record.lastError, null);
  assert.deepEqual(record.podidAssigned.map((x) => x.toLowerCase()), [id.toLowerCase()]);
  // The LRO was waited out on durable timers, not inside an activity.
  const instance = app.instanceId(cluster, hostId);
  assert.match(instance, /^reconcile:happy:[0-9a-f]{24}$/);
  const s = await app.host.getStatus(instance);
  assert.equal(s?.runtimeStatus, "Completed");
  const patches = app.arm.log.filter((l) => l.method === "PATCH" && l.path.toLowerCase().includes("vmss-happy"));
  assert.deepEqual(patches.map((p) => p.body), [{ identity: { type: "UserAssigned", userAssignedIdentities: { [uaiId("id-happy")]: {} } } }]);
});

test("the pod leaves → podid removes the identity it added (null) and deletes the AzureAssignedIdentity", async () => {
  const cluster = "happy";
  const hostId = app.arm.hostIdOf(`/subscriptions/${SUB}/resourceGroups/${NODE_RG}/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-happy`) ?? "";
  await app.send(cluster, "Pod", pod("default", "web-0", "n0", "web", { rv: "2" }), "delete");
  await app.settle();
  assert.equal(onHost(hostId).length, 1, "web-1 still needs it");
  assert.equal(app.publisher.statuses().has("default/web-0-default-id-happy"), false, "deleted");
  await app.send(cluster, "Pod", pod("default", "web-1", "n1", "web", { rv: "2" }), "delete");
  await app.settle();
  assert.deepEqual(onHost(hostId), []);
  assert.equal(app.arm.host(hostId)?.identityType, "None");
  assert.equal(app.publisher.statuses().size, 0);
  const last = app.arm.log.filter((l) => l.method === "PATCH").at(-1);
  assert.deepEqual(last?.body, { identity: { type: "None" } });
});

test("an identity that existed before podid is never removed; timers carry the LRO polls", async () => {
  const cluster = "preexisting";
  const theirs = armIdentity(app.arm, "id-theirs");
  const ours = armIdentity(app.arm, "id-ours");
  const hostId = app.arm.addScaleSet({ subscriptionId: SUB, resourceGroup: NODE_RG, name: "vmss-pre", location: "westeurope", userAssignedIdentities: [theirs] });
  await sendAll(app, cluster, {
    identities: [identity("default", "id-ours")], bindings: [binding("default", "b-ours", "id-ours", "api")],
    nodes: [vmssNode("p0", "vmss-pre", 0)], pods: [pod("default", "api-0", "p0", "api")],
  });
  await app.settle();
  assert.deepEqual(onHost(hostId).sort(), [ours.toLowerCase(), theirs.toLowerCase()].sort());
  const history = await app.host.history(app.instanceId(cluster, hostId));
  assert.ok(history.some((e) => e.EventType === EventType.TimerFired), "polled after a durable timer");
  await app.send(cluster, "Pod", pod("default", "api-0", "p0", "api", { rv: "2" }), "delete");
  await app.settle();
  assert.deepEqual(onHost(hostId), [theirs.toLowerCase()], "only podid's own identity left");
});

test("type-1 (service principal) identities are Assigned without touching ARM", async () => {
  const cluster = "sp";
  const hostId = scaleSet("vmss-sp");
  await sendAll(app, cluster, {
    identities: [identity("default", "sp-1", { type: 1, resourceID: "" })], bindings: [binding("default", "b-sp", "sp-1", "sp")],
    nodes: [vmssNode("s0", "vmss-sp", 0)], pods: [pod("default", "sp-0", "s0", "sp")],
  });
  await app.settle();
  assert.equal(app.publisher.statuses().get("default/sp-0-default-sp-1"), "Assigned");
  assert.equal(app.arm.writesFor(hostId), 0);
  assert.equal(app.arm.log.filter((l) => l.path.toLowerCase().includes("vmss-sp")).length, 0, "no ARM request at all");
});
