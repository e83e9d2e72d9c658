// The real @azure/arm-compute client against the ARM peer: reading hosts, identity delta
// PATCHes (add, remove with null, case-insensitive ids), type transitions and ARM errors.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { VirtualMachineScaleSetUpdate } from "@azure/arm-compute";
import { RestError } from "@azure/core-rest-pipeline";
import { MIC_APP, RG, startAzureFixture, SUB, type AzureFixture } from "./fixtures.ts";

let fx: AzureFixture;
before(async () => { fx = await startAzureFixture({ operationDurationMs: 50 }); });
after(async () => { await fx.close(); });

const fast = { updateIntervalInMs: 10 };
const scaleSet = (name: string, extra: { systemAssigned?: boolean; userAssignedIdentities?: string[] } = {}) =>
  fx.arm.addScaleSet({ subscriptionId: SUB, resourceGroup: RG, name, location: "westeurope", instances: ["0", "1"], ...extra });
/** `null` removes an identity; the SDK's types do not admit it, the wire format needs it. */
const remove = null as unknown as Record<string, never>;
const uaiKeys = (v: { identity?: { userAssignedIdentities?: Record<string, unknown> } }) =>
  Object.keys(v.identity?.userAssignedIdentities ?? {}).map((k) => k.toLowerCase()).sort();

function restError(status: number, code: string, ...mustMention: string[]) {
  return (e: unknown) => {
    assert.ok(e instanceof RestError, `expected RestError, got ${String(e)}`);
    assert.equal(e.statusCode, status);
    assert.equal(e.code, code);
    for (const m of mustMention) assert.ok(e.message.includes(m), `message should mention ${m}: ${e.message}`);
    return true;
  };
}

test("GET a VMSS with a token from the Entra peer (ClientSecretCredential)", async () => {
  const kubelet = fx.identity("kubelet");
  scaleSet("vmss-get", { systemAssigned: true, userAssignedIdentities: [kubelet] });
  const client = fx.client(fx.secretCredential);
  const vmss = await client.virtualMachineScaleSets.get(RG.toLowerCase(), "VMSS-GET");
  assert.equal(vmss.identity?.type, "SystemAssigned, UserAssigned");
  assert.ok(vmss.identity?.principalId);
  assert.ok(vmss.identity?.tenantId);
  const entry = Object.entries(vmss.identity?.userAssignedIdentities ?? {})[0];
  assert.equal(entry?.[0], kubelet);
  const applied = fx.arm.identitiesOf(vmss.id ?? "")[0];
  assert.deepEqual(entry?.[1], { principalId: applied?.principalId, clientId: applied?.clientId });
  assert.equal(vmss.provisioningState, "Succeeded");
  assert.equal(fx.entra.tokensIssued(MIC_APP), 1);
  const get = fx.arm.log.find((l) => l.method === "GET" && l.path.includes("/virtualMachineScaleSets/VMSS-GET"));
  assert.match(get?.path ?? "", /api-version=\d{4}-\d\d-\d\d/);
  const inst = await client.virtualMachineScaleSetVMs.get(RG, "vmss-get", "1");
  assert.equal(inst.instanceId, "1");
  assert.equal(fx.arm.hostIdOf(`azure://${inst.id ?? ""}`), vmss.id);
});

test("update adds two identities, then removes one with null (ids compared case-insensitively)", async () => {
  const [a, b] = [fx.identity("a"), fx.identity("b")];
  const id = scaleSet("vmss-delta");
  const client = fx.client();
  const added = await client.virtualMachineScaleSets.beginUpdateAndWait(RG, "vmss-delta", {
    identity: { type: "UserAssigned", userAssignedIdentities: { [a]: {}, [b]: {} } },
  }, fast);
  assert.deepEqual(uaiKeys(added), [a, b].map((x) => x.toLowerCase()).sort());
  assert.equal(added.provisioningState, "Succeeded");
  const removed = await client.virtualMachineScaleSets.beginUpdateAndWait(RG, "vmss-delta", {
    identity: { type: "UserAssigned", userAssignedIdentities: { [a.toUpperCase()]: remove } },
  }, fast);
  assert.deepEqual(uaiKeys(removed), [b.toLowerCase()]);
  assert.deepEqual(fx.arm.identitiesOf(`${id}/virtualMachines/0`).map((i) => i.resourceId), [b]);
  const patch = fx.arm.log.filter((l) => l.method === "PATCH" && l.path.includes("vmss-delta")).at(-1);
  assert.deepEqual(patch?.body, { identity: { type: "UserAssigned", userAssignedIdentities: { [a.toUpperCase()]: null } } });
  assert.equal(fx.arm.writesFor(id), 2);
});

test("a standalone VM is updated the same way", async () => {
  const a = fx.identity("vm-a");
  fx.arm.addVm({ subscriptionId: SUB, resourceGroup: RG, name: "vm-1", location: "westeurope", systemAssigned: true });
  const vm = await fx.client().virtualMachines.beginUpdateAndWait(RG, "vm-1", {
    identity: { type: "SystemAssigned,UserAssigned" as "SystemAssigned, UserAssigned", userAssignedIdentities: { [a]: {} } },
  }, fast);
  assert.equal(vm.identity?.type, "SystemAssigned, UserAssigned");
  assert.deepEqual(uaiKeys(vm), [a.toLowerCase()]);
});

test("type transitions: removing the last identity needs None or SystemAssigned", async () => {
  const a = fx.identity("t-a");
  scaleSet("vmss-none", { userAssignedIdentities: [a] });
  scaleSet("vmss-sys", { systemAssigned: true, userAssignedIdentities: [a] });
  const client = fx.client();
  await assert.rejects(client.virtualMachineScaleSets.beginUpdateAndWait(RG, "vmss-none", {
    identity: { type: "UserAssigned", userAssignedIdentities: { [a]: remove } },
  }, fast), restError(400, "InvalidParameter"));
  const none = await client.virtualMachineScaleSets.beginUpdateAndWait(RG, "vmss-none", { identity: { type: "None" } }, fast);
  assert.equal(none.identity, undefined);
  // The no-space spelling is accepted; emptying the map while keeping UserAssigned is not.
  await assert.rejects(client.virtualMachineScaleSets.beginUpdateAndWait(RG, "vmss-sys", {
    identity: { type: "SystemAssigned,UserAssigned" as "SystemAssigned, UserAssigned", userAssignedIdentities: { [a]: remove } },
  }, fast), restError(400, "InvalidParameter"));
  const sys = await client.virtualMachineScaleSets.beginUpdateAndWait(RG, "vmss-sys", { identity: { type: "SystemAssigned" } }, fast);
  assert.equal(sys.identity?.type, "SystemAssigned");
  assert.equal(sys.identity?.userAssignedIdentities, undefined, "SystemAssigned without a map drops every user-assigned identity");
  assert.ok(sys.identity?.principalId);
  await assert.rejects(client.virtualMachineScaleSets.beginUpdateAndWait(RG, "vmss-sys", {
    identity: { type: "SystemAssigned", userAssignedIdentities: { [a]: {} } },
  }, fast), restError(400, "InvalidParameter", 'should not be provided if the type is "SystemAssigned"'));
});

test("per-identity errors name the identity: FailedIdentityOperation, LinkedAuthorizationFailed", async () => {
  const [ok, denied] = [fx.identity("ok"), fx.identity("denied")];
  const missing = `/subscriptions/${SUB}/resourceGroups/identities-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/gone`;
  const id = scaleSet("vmss-errors");
  fx.arm.denyAssign(denied);
  const client = fx.client(fx.secretCredential);
  const update = (ids: string[]) => client.virtualMachineScaleSets.beginUpdateAndWait(RG, "vmss-errors", {
    identity: { type: "UserAssigned", userAssignedIdentities: Object.fromEntries(ids.map((i) => [i, {}])) },
  }, fast);
  await assert.rejects(update([ok, missing]), restError(400, "FailedIdentityOperation", missing, id));
  await assert.rejects(update([ok, denied]), restError(403, "LinkedAuthorizationFailed", denied, MIC_APP,
    "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"));
  assert.deepEqual(fx.arm.identitiesOf(id), [], "nothing applied by rejected requests");
  const applied = await update([ok]);
  assert.deepEqual(uaiKeys(applied), [ok.toLowerCase()]);
  fx.arm.denyWrite(id);
  await assert.rejects(update([ok]), restError(403, "AuthorizationFailed", "Microsoft.Compute/virtualMachineScaleSets/write", id));
});

test("request limits: more than 150 identities, and the same id twice", async () => {
  scaleSet("vmss-limits");
  const client = fx.client();
  const many = Object.fromEntries(Array.from({ length: 151 }, (_, i) => [fx.identity(`bulk-${i}`), {}]));
  await assert.rejects(client.virtualMachineScaleSets.beginUpdateAndWait(RG, "vmss-limits", {
    identity: { type: "UserAssigned", userAssignedIdentities: many },
  }, fast), restError(400, "InvalidParameter", "User Assigned Identities Number '151' Assign exceed limit '150' in one request."));
  const a = fx.identity("dup");
  const dup: VirtualMachineScaleSetUpdate = { identity: { type: "UserAssigned", userAssignedIdentities: { [a]: {}, [a.toUpperCase()]: {} } } };
  await assert.rejects(client.virtualMachineScaleSets.beginUpdateAndWait(RG, "vmss-limits", dup, fast),
    restError(400, "InvalidParameter", "cannot be duplicated"));
  const exactly150 = Object.fromEntries(Object.entries(many).slice(0, 150));
  const ok = await client.virtualMachineScaleSets.beginUpdateAndWait(RG, "vmss-limits", {
    identity: { type: "UserAssigned", userAssignedIdentities: exactly150 },
  }, fast);
  assert.equal(uaiKeys(ok).length, 150);
});

test("missing host → 404 ResourceNotFound; host being deleted → 409 OperationNotAllowed", async () => {
  const client = fx.client();
  await assert.rejects(client.virtualMachineScaleSets.get(RG, "nope"), restError(404, "ResourceNotFound", "nope"));
  await assert.rejects(client.virtualMachines.beginUpdateAndWait(RG, "nope", { identity: { type: "None" } }, fast),
    restError(404, "ResourceNotFound"));
  const id = scaleSet("vmss-dying");
  fx.arm.markDeleting(id);
  await assert.rejects(client.virtualMachineScaleSets.beginUpdateAndWait(RG, "vmss-dying", { identity: { type: "None" } }, fast),
    restError(409, "OperationNotAllowed", "marked for deletion"));
  fx.arm.deleteHost(id);
  await assert.rejects(client.virtualMachineScaleSets.get(RG, "vmss-dying"), restError(404, "ResourceNotFound"));
});

test("raw requests: bearer token and api-version are required", async () => {
  const url = `${fx.arm.url}/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachineScaleSets/x`;
  const noAuth = await fetch(`${url}?api-version=2024-07-01`);
  assert.equal(noAuth.status, 401);
  assert.equal(((await noAuth.json()) as { error: { code: string } }).error.code, "AuthenticationFailed");
  const noVersion = await fetch(url, { headers: { authorization: "Bearer static-test-token" } });
  assert.equal(noVersion.status, 400);
  assert.equal(((await noVersion.json()) as { error: { code: string } }).error.code, "MissingApiVersionParameter");
  assert.ok(noVersion.headers.get("x-ms-ratelimit-remaining-subscription-reads"));
  const put = await fetch(`${fx.arm.url}/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachines/vm-put?api-version=2024-07-01`, {
    method: "PUT", headers: { authorization: "Bearer static-test-token", "content-type": "application/json" },
    body: JSON.stringify({ location: "northeurope", identity: { type: "SystemAssigned" } }),
  });
  assert.equal(put.status, 201, "PUT creates");
  fx.arm.releaseOperations();
  assert.equal(fx.arm.host("/subscriptions/" + SUB + "/resourceGroups/" + RG + "/providers/Microsoft.Compute/virtualMachines/VM-PUT")?.identityType, "SystemAssigned");
  const badToken = await fetch(`${url}?api-version=2024-07-01`, { headers: { authorization: "Bearer not-for-arm" } });
  assert.equal(badToken.status, 401);
});
