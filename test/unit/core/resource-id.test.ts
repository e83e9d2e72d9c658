import assert from "node:assert/strict";
import { test } from "node:test";
import {
  isUserAssignedIdentityId, isWithinScope, parseResourceId, ResourceIdError, resourceIdKey, sameResourceId,
} from "../../../core/index.ts";

const UAI = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/ids/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-a";

test("parses each supported kind into canonical parts", () => {
  const cases = [
    { raw: UAI, kind: "userAssignedIdentity", rg: "ids", name: "app-a" },
    { raw: UAI.toLowerCase(), kind: "userAssignedIdentity", rg: "ids", name: "app-a" },
    { raw: "/subscriptions/s/resourceGroups/MC_rg/providers/Microsoft.Compute/virtualMachineScaleSets/aks-pool1", kind: "virtualMachineScaleSet", rg: "MC_rg", name: "aks-pool1" },
    { raw: "/subscriptions/s/resourcegroups/mc_rg/providers/microsoft.compute/virtualmachines/vm-1/", kind: "virtualMachine", rg: "mc_rg", name: "vm-1" },
    { raw: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/ss/virtualMachines/3", kind: "scaleSetVm", rg: "rg", name: "ss" },
  ] as const;
  for (const c of cases) {
    const id = parseResourceId(c.raw);
    assert.equal(id.kind, c.kind, c.raw);
    assert.equal(id.resourceGroup, c.rg);
    assert.equal(id.name, c.name);
    assert.match(id.id, /\/providers\/Microsoft\.(ManagedIdentity|Compute)\//, "provider namespace is canonicalised");
  }
  assert.equal(parseResourceId("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/ss/virtualMachines/3").instanceId, "3");
});

test("rejects ids of other kinds and malformed ids with a clear error", () => {
  for (const raw of [
    "",
    "app-a",
    "/subscriptions/s/resourceGroups/rg",
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv",
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/",
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/a/extra",
    "/subscriptions/s/resourceGroups/r g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/a",
  ]) {
    assert.throws(() => parseResourceId(raw), (e: unknown) => e instanceof ResourceIdError && /not a user-assigned identity/.test(e.message), raw);
  }
  assert.equal(isUserAssignedIdentityId(UAI), true);
  assert.equal(isUserAssignedIdentityId("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/v"), false);
});

test("compares case-insensitively and ignores a trailing slash", () => {
  assert.equal(sameResourceId(UAI, UAI.toUpperCase()), true);
  assert.equal(sameResourceId(UAI, `${UAI}/`), true);
  assert.equal(sameResourceId(UAI, UAI.replace("app-a", "app-b")), false);
  assert.equal(resourceIdKey(` ${UAI} `), UAI.toLowerCase());
});

test("scope checks stop at segment boundaries", () => {
  assert.equal(isWithinScope(UAI, "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/IDS"), true);
  assert.equal(isWithinScope(UAI, "/subscriptions/00000000-0000-0000-0000-000000000001"), true);
  assert.equal(isWithinScope(UAI, UAI), true);
  assert.equal(isWithinScope(UAI, "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/id"), false, "prefix of a segment is not a scope");
  assert.equal(isWithinScope(UAI, "/subscriptions/other"), false);
});
