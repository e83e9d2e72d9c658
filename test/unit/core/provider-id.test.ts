import assert from "node:assert/strict";
import { test } from "node:test";
import { hostFromProviderId, ProviderIdError } from "../../../core/index.ts";

test("scale-set nodes map to their scale set; standalone VMs to themselves", () => {
  const cases = [
    {
      providerId: "azure:///subscriptions/sub/resourceGroups/mc_rg_aks_eastus/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-123-vmss/virtualMachines/0",
      kind: "vmss", name: "aks-nodepool1-123-vmss", instanceId: "0",
      id: "/subscriptions/sub/resourceGroups/mc_rg_aks_eastus/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-123-vmss",
    },
    {
      providerId: "azure:///subscriptions/sub/resourcegroups/mc_rg/providers/microsoft.compute/virtualmachinescalesets/pool2/virtualmachines/17",
      kind: "vmss", name: "pool2", instanceId: "17",
      id: "/subscriptions/sub/resourceGroups/mc_rg/providers/Microsoft.Compute/virtualMachineScaleSets/pool2",
    },
    {
      providerId: "azure:///subscriptions/sub/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/aks-agent-0",
      kind: "vm", name: "aks-agent-0", instanceId: undefined,
      id: "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/aks-agent-0",
    },
  ];
  for (const c of cases) {
    const host = hostFromProviderId(c.providerId);
    assert.equal(host.kind, c.kind);
    assert.equal(host.name, c.name);
    assert.equal(host.id, c.id);
    assert.equal(host.instanceId, c.instanceId);
  }
});

test("two nodes of one scale set share a host id", () => {
  const a = hostFromProviderId("azure:///subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/ss/virtualMachines/0");
  const b = hostFromProviderId("azure:///subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/ss/virtualMachines/1");
  assert.equal(a.id, b.id);
});

test("non-Azure and malformed providerIDs get a clear error", () => {
  const cases: Array<[string | undefined, RegExp]> = [
    [undefined, /no spec.providerID/],
    ["", /no spec.providerID/],
    ["aws:///us-east-1a/i-0123", /not an Azure node/],
    ["kind://docker/kind/kind-control-plane", /not an Azure node/],
    ["azure:///subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/d", /neither a scale-set VM nor a VM/],
    ["azure:///subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/ss", /neither a scale-set VM nor a VM/],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => hostFromProviderId(input), (e: unknown) => e instanceof ProviderIdError && message.test(e.message), String(input));
  }
});
