// ARM resource ids and request paths. ARM treats path segments case-insensitively, so every
// lookup goes through a lower-cased key; ids keep the case they were created with for output.
import type { HostKind } from "./types.ts";

const COMPUTE = "/providers/Microsoft.Compute/";

export function hostResourceId(kind: HostKind, subscriptionId: string, resourceGroup: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}${COMPUTE}${kind}/${name}`;
}

export function identityResourceId(subscriptionId: string, resourceGroup: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
}

export const keyOf = (id: string): string => id.toLowerCase();

const INSTANCE_ID =
  /^(\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.compute\/virtualmachinescalesets\/[^/]+)\/virtualmachines\/[^/]+$/i;

/**
 * Host key for a VM id, a VMSS id, a VMSS instance id or a node providerID
 * (`azure:///subscriptions/…`): the instance resolves to its scale set.
 */
export function hostKeyOf(id: string): string {
  const plain = id.replace(/^azure:\/\//i, "").replace(/\/+$/, "");
  const m = INSTANCE_ID.exec(plain);
  return keyOf(m?.[1] ?? plain);
}

export type ArmRoute =
  | { kind: "host"; hostKind: HostKind; subscriptionId: string; resourceGroup: string; name: string }
  | { kind: "instance"; subscriptionId: string; resourceGroup: string; scaleSet: string; instanceId: string }
  | { kind: "operation"; subscriptionId: string; location: string; operationId: string };

const HOST = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.compute\/(virtualmachinescalesets|virtualmachines)\/([^/]+)$/i;
const INSTANCE = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.compute\/virtualmachinescalesets\/([^/]+)\/virtualmachines\/([^/]+)$/i;
const OPERATION = /^\/subscriptions\/([^/]+)\/providers\/microsoft\.compute\/locations\/([^/]+)\/operations\/([^/]+)$/i;

export function parseArmPath(pathname: string): ArmRoute | undefined {
  const path = decodeURIComponent(pathname).replace(/\/+$/, "");
  let m = HOST.exec(path);
  if (m) {
    const hostKind: HostKind = m[3]!.toLowerCase() === "virtualmachinescalesets" ? "virtualMachineScaleSets" : "virtualMachines";
    return { kind: "host", hostKind, subscriptionId: m[1]!, resourceGroup: m[2]!, name: m[4]! };
  }
  m = INSTANCE.exec(path);
  if (m) return { kind: "instance", subscriptionId: m[1]!, resourceGroup: m[2]!, scaleSet: m[3]!, instanceId: m[4]! };
  m = OPERATION.exec(path);
  if (m) return { kind: "operation", subscriptionId: m[1]!, location: m[2]!, operationId: m[3]! };
  return undefined;
}
