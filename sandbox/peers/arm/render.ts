// JSON that ARM returns for scale sets, VMs, scale-set instances and async operations.
import { createHash } from "node:crypto";
import { identityTypeOf } from "./identity-patch.ts";
import type { ArmRegistry } from "./registry.ts";
import type { Host, IdentityState, Operation } from "./types.ts";

export interface HostView {
  identity: IdentityState;
  tags: Record<string, string>;
  provisioningState: string;
}

/** The host as GET shows it: applied state, `Updating` while an operation runs. */
export const currentView = (host: Host): HostView => ({
  identity: host.identity,
  tags: host.tags,
  provisioningState: host.pending ? "Updating" : "Succeeded",
});

function renderIdentity(host: Host, state: IdentityState, registry: ArmRegistry, tenantId: string): object | undefined {
  const type = identityTypeOf(state);
  // ARM leaves `identity` out of resources that have none.
  if (type === "None") return undefined;
  const uais: Record<string, { principalId: string; clientId: string }> = {};
  for (const id of state.userAssigned.values()) {
    const rec = registry.describe(id);
    uais[id] = { principalId: rec.principalId, clientId: rec.clientId };
  }
  return {
    type,
    ...(state.systemAssigned ? { principalId: host.systemPrincipalId, tenantId } : {}),
    ...(state.userAssigned.size > 0 ? { userAssignedIdentities: uais } : {}),
  };
}

const SKU = { name: "Standard_D2s_v3", tier: "Standard" };

export function renderHost(host: Host, view: HostView, registry: ArmRegistry, tenantId: string): object {
  const identity = renderIdentity(host, view.identity, registry, tenantId);
  const common = {
    id: host.id,
    name: host.name,
    type: `Microsoft.Compute/${host.kind}`,
    location: host.location,
    tags: view.tags,
    ...(identity ? { identity } : {}),
  };
  if (host.kind === "virtualMachines") {
    return { ...common, properties: { provisioningState: view.provisioningState, vmId: host.uniqueId, hardwareProfile: { vmSize: SKU.name } } };
  }
  return {
    ...common,
    sku: { ...SKU, capacity: host.instances.length },
    properties: {
      provisioningState: view.provisioningState,
      uniqueId: host.uniqueId,
      orchestrationMode: "Uniform",
      upgradePolicy: { mode: "Manual" },
      overprovision: false,
      singlePlacementGroup: true,
    },
  };
}

function instanceVmId(host: Host, instanceId: string): string {
  const h = createHash("sha256").update(`${host.uniqueId}/${instanceId}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export function renderInstance(host: Host, instanceId: string, registry: ArmRegistry, tenantId: string): object {
  const identity = renderIdentity(host, host.identity, registry, tenantId);
  return {
    id: `${host.id}/virtualMachines/${instanceId}`,
    name: `${host.name}_${instanceId}`,
    type: "Microsoft.Compute/virtualMachineScaleSets/virtualMachines",
    location: host.location,
    instanceId,
    sku: SKU,
    ...(identity ? { identity } : {}),
    properties: {
      provisioningState: "Succeeded",
      vmId: instanceVmId(host, instanceId),
      latestModelApplied: !host.pending,
      osProfile: { computerName: `${host.name}${instanceId.padStart(6, "0")}` },
    },
  };
}

export function renderOperation(op: Operation): object {
  return {
    name: op.id,
    status: op.status,
    startTime: new Date(op.startTime).toISOString(),
    ...(op.endTime !== undefined ? { endTime: new Date(op.endTime).toISOString() } : {}),
    ...(op.error ? { error: op.error } : {}),
  };
}
