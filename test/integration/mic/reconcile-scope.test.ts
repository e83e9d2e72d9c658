// The scope guard through the whole MIC (DESIGN §5, §8): whatever the cluster sends, reconcileHost
// never sends a request for a host outside the configured node resource group(s) and never
// assigns an identity outside the allow-list; the assignments it refuses end Failed with the
// reason, and the rest of the cluster is reconciled as usual. The ARM peer would accept every
// one of these writes, so only the guard stops them.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startUpdateActivity } from "../../../functions/mic/activities/arm-activities.ts";
import { armIdentity, sendSnapshot, startMicTestApp, type MicTestApp } from "../../helpers/mic-app.ts";
import { binding, identity, NODE_RG, pod, SUB, uaiId, vmssId, vmssNode } from "../../helpers/mic-fixtures.ts";

let app: MicTestApp;
before(async () => { app = await startMicTestApp(); });
after(async () => { await app.stop(); });

const OTHER_RG = "someone-elses-nodes";
const requestsFor = (name: string) => app.arm.log.filter((l) => l.path.toLowerCase().includes(`/${name.toLowerCase()}`));
const patchedIds = () => app.arm.log.filter((l) => l.method === "PATCH")
  .flatMap((l) => Object.keys((l.body as { identity?: { userAssignedIdentities?: object } } | undefined)?.identity?.userAssignedIdentities ?? {}))
  .map((id) => id.toLowerCase());

test("a node on a scale set outside the node resource groups: no ARM request for it at all, its assignments Failed; in-scope hosts proceed", async () => {
  const cluster = "scope-host";
  const inside = app.arm.addScaleSet({ subscriptionId: SUB, resourceGroup: NODE_RG, name: "vmss-inside", location: "westeurope" });
  const outside = app.arm.addScaleSet({ subscriptionId: SUB, resourceGroup: OTHER_RG, name: "vmss-outside", location: "westeurope" });
  const id = armIdentity(app.arm, "id-scope-host");
  await sendSnapshot(app, cluster, {
    identities: [identity("default", "id-scope-host")],
    bindings: [binding("default", "b-scope-host", "id-scope-host", "web")],
    nodes: [vmssNode("in-0", "vmss-inside", 0), vmssNode("out-0", "vmss-outside", 0, OTHER_RG)],
    pods: [pod("default", "web-in", "in-0", "web"), pod("default", "web-out", "out-0", "web")],
  });
  await app.settle();
  assert.deepEqual(requestsFor("vmss-outside"), [], "not even a GET");
  assert.deepEqual(app.arm.host(outside)?.userAssignedIdentities, []);
  assert.deepEqual(app.arm.host(inside)?.userAssignedIdentities.map((x) => x.toLowerCase()), [id.toLowerCase()]);
  const statuses = app.publisher.statuses();
  assert.equal(statuses.get("default/web-in-default-id-scope-host"), "Assigned");
  assert.equal(statuses.get("default/web-out-default-id-scope-host"), "Failed");
  assert.match(app.publisher.latest().get("default/web-out-default-id-scope-host")?.assignedIdentity.status?.message ?? "",
    /^host-outside-node-resource-groups: host '.*vmss-outside' is outside the configured node resource group/);
  const record = await app.deps.store.getHostRecord(cluster, vmssId("vmss-outside", OTHER_RG));
  assert.equal(record?.lastError?.code, "host-outside-node-resource-groups");
  assert.equal(record?.reconciledGeneration, record?.generation, "reconciled (refused), not retried in a loop");
  assert.deepEqual(record?.podidAssigned, []);
});

test("an identity outside the allow-list is never sent to ARM; the allowed one beside it is assigned", async () => {
  const cluster = "scope-id";
  const hostId = app.arm.addScaleSet({ subscriptionId: SUB, resourceGroup: NODE_RG, name: "vmss-scope-id", location: "westeurope" });
  const allowed = armIdentity(app.arm, "id-allowed");
  // Exists in Azure (the peer would assign it), but in a resource group podid may not use.
  const foreign = uaiId("id-foreign", "not-allowed-rg");
  app.arm.addIdentity({ resourceId: foreign, clientId: "00000000-0000-4000-8000-00000000f0f0", principalId: "11111111-0000-4000-8000-00000000f0f0" });
  await sendSnapshot(app, cluster, {
    identities: [identity("default", "id-allowed"), identity("default", "id-foreign", { resourceID: foreign })],
    bindings: [binding("default", "b-allowed", "id-allowed", "api"), binding("default", "b-foreign", "id-foreign", "api")],
    nodes: [vmssNode("sid-0", "vmss-scope-id", 0)],
    pods: [pod("default", "api-0", "sid-0", "api")],
  });
  await app.settle();
  assert.ok(!patchedIds().includes(foreign.toLowerCase()), "the foreign identity is in no PATCH");
  assert.deepEqual(app.arm.host(hostId)?.userAssignedIdentities.map((x) => x.toLowerCase()), [allowed.toLowerCase()]);
  const statuses = app.publisher.statuses();
  assert.equal(statuses.get("default/api-0-default-id-allowed"), "Assigned");
  assert.equal(statuses.get("default/api-0-default-id-foreign"), "Failed");
  assert.match(app.publisher.latest().get("default/api-0-default-id-foreign")?.assignedIdentity.status?.message ?? "",
    /^identity-outside-allowed-scopes: '.*id-foreign' is outside the allowed identity scopes/);
  assert.equal(app.arm.writesFor(hostId), 1, "one PATCH, for the allowed identity only; no retry of the refused one");
});

test("defence in depth: the PATCH activity itself refuses an out-of-scope host or identity, whatever the plan says", async () => {
  const writes = app.arm.writes;
  const logged = app.arm.log.length;
  const outsideHost = await startUpdateActivity(app.deps, {
    hostId: vmssId("vmss-outside", OTHER_RG),
    patch: { identity: { type: "UserAssigned", userAssignedIdentities: { [uaiId("id-scope-host")]: {} } } },
  });
  assert.deepEqual(outsideHost.ok ? null : [outsideHost.failure.class, outsideHost.failure.code], ["host", "PODID_MIC_SCOPE_GUARD"]);
  const foreign = uaiId("id-foreign", "not-allowed-rg");
  const outsideIdentity = await startUpdateActivity(app.deps, {
    hostId: vmssId("vmss-scope-id"),
    patch: { identity: { type: "UserAssigned", userAssignedIdentities: { [uaiId("id-allowed")]: {}, [foreign]: {} } } },
  });
  assert.ok(!outsideIdentity.ok);
  assert.equal(outsideIdentity.failure.class, "identity", "per-identity: the orchestration drops just that id");
  assert.deepEqual(outsideIdentity.failure.named, [foreign]);
  assert.equal(app.arm.writes, writes);
  assert.equal(app.arm.log.length, logged, "no request left the app");
});
