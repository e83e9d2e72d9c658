// Node `spec.providerID` → the Azure host that carries the node's identities. All nodes of a
// scale set share one host, which is why the MIC reconciles per scale set, not per node.
import { parseResourceId, ResourceIdError } from "./resource-id.ts";

export type HostKind = "vmss" | "vm";

export interface Host {
  kind: HostKind;
  subscriptionId: string;
  resourceGroup: string;
  /** Scale set or VM name. */
  name: string;
  /** Canonical resource ID of the scale set or VM (what ARM PATCHes). */
  id: string;
  /** For scale-set nodes: the instance id within the scale set. */
  instanceId?: string;
}

export class ProviderIdError extends Error {
  override readonly name = "ProviderIdError";
}

const AZURE_PREFIX = /^azure:\/\//i;

export function hostFromProviderId(providerId: string | undefined): Host {
  if (providerId === undefined || providerId.trim() === "") {
    throw new ProviderIdError("node has no spec.providerID (not yet initialised by the cloud provider?)");
  }
  if (!AZURE_PREFIX.test(providerId)) {
    throw new ProviderIdError(`providerID '${providerId}' is not an Azure node (expected azure:///subscriptions/...)`);
  }
  const path = providerId.replace(AZURE_PREFIX, "");
  let parsed;
  try {
    parsed = parseResourceId(path);
  } catch (e) {
    if (e instanceof ResourceIdError) {
      throw new ProviderIdError(`providerID '${providerId}' names neither a scale-set VM nor a VM`);
    }
    throw e;
  }
  if (parsed.kind === "scaleSetVm" && parsed.instanceId !== undefined) {
    const vmssId = `/subscriptions/${parsed.subscriptionId}/resourceGroups/${parsed.resourceGroup}/providers/Microsoft.Compute/virtualMachineScaleSets/${parsed.name}`;
    return { kind: "vmss", subscriptionId: parsed.subscriptionId, resourceGroup: parsed.resourceGroup, name: parsed.name, id: vmssId, instanceId: parsed.instanceId };
  }
  if (parsed.kind === "virtualMachine") {
    return { kind: "vm", subscriptionId: parsed.subscriptionId, resourceGroup: parsed.resourceGroup, name: parsed.name, id: parsed.id };
  }
  throw new ProviderIdError(`providerID '${providerId}' names neither a scale-set VM nor a VM`);
}
