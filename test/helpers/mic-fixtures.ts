// Builders for MIC planner/state tests: nodes on scale sets or VMs, identities, bindings, pods,
// plus a tiny ARM model that applies identity PATCHes with ARM's merge semantics.
import type { AzureIdentity, AzureIdentityBinding, Node, Pod } from "../../core/index.ts";
import {
  desiredAssignments, desiredHostIdentities, parseIdentityType, planHostUpdate,
  type ClusterState, type HostUpdatePlan, type IdentityPatch, type MicSettings,
} from "../../functions/mic/planner/index.ts";

export const SUB = "00000000-0000-0000-0000-000000000001";
export const NODE_RG = "MC_rg_cluster_westeurope";
export const ID_RG = "identities";

export const uaiId = (name: string, rg = ID_RG, sub = SUB): string =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
export const vmssId = (name: string, rg = NODE_RG): string =>
  `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachineScaleSets/${name}`;
export const vmId = (name: string, rg = NODE_RG): string =>
  `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachines/${name}`;

export const vmssNode = (name: string, vmss: string, instance: number, rg = NODE_RG): Node => ({
  metadata: { name, uid: `uid-node-${name}`, resourceVersion: "1" },
  spec: { providerID: `azure://${vmssId(vmss, rg)}/virtualMachines/${instance}` },
});
export const vmNode = (name: string, rg = NODE_RG): Node => ({
  metadata: { name, uid: `uid-node-${name}`, resourceVersion: "1" },
  spec: { providerID: `azure://${vmId(name, rg)}` },
});

export function identity(ns: string, name: string, opts: { type?: 0 | 1 | 2; resourceID?: string; namespaced?: boolean; rv?: string } = {}): AzureIdentity {
  return {
    metadata: {
      name, namespace: ns, uid: `uid-id-${ns}-${name}`, resourceVersion: opts.rv ?? "1",
      ...(opts.namespaced ? { annotations: { "aadpodidentity.k8s.io/Behavior": "namespaced" } } : {}),
    },
    spec: { type: opts.type ?? 0, clientID: `client-${name}`, resourceID: opts.resourceID ?? uaiId(name) },
  };
}

export const binding = (ns: string, name: string, identityName: string, selector: string): AzureIdentityBinding => ({
  metadata: { name, namespace: ns, uid: `uid-b-${ns}-${name}`, resourceVersion: "1" },
  spec: { azureIdentity: identityName, selector },
});

export function pod(ns: string, name: string, node: string | undefined, selector: string, opts: { phase?: string; deleting?: boolean; rv?: string } = {}): Pod {
  return {
    metadata: {
      name, namespace: ns, uid: `uid-pod-${ns}-${name}`, resourceVersion: opts.rv ?? "1",
      labels: { aadpodidbinding: selector },
      ...(opts.deleting ? { deletionTimestamp: "2024-01-01T00:00:00Z" } : {}),
    },
    spec: node === undefined ? {} : { nodeName: node },
    status: { phase: opts.phase ?? "Running" },
  };
}

export const settings = (over: Partial<MicSettings> = {}): MicSettings => ({
  forceNamespaced: false,
  immutableIdentities: [],
  allowedIdentityScopes: [`/subscriptions/${SUB}/resourceGroups/${ID_RG}`],
  nodeResourceGroups: [`/subscriptions/${SUB}/resourceGroups/${NODE_RG}`],
  ...over,
});

export interface FakeHost {
  type: string;
  ids: string[];
  /** What podid recorded as its own. */
  podidAssigned: string[];
}

/** ARM's PATCH merge: `{}` adds, `null` removes, a type without user-assigned drops them all. */
export function applyPatch(host: FakeHost, patch: IdentityPatch): void {
  const map = new Map(host.ids.map((id) => [id.toLowerCase(), id]));
  for (const [id, v] of Object.entries(patch.identity.userAssignedIdentities ?? {})) {
    if (v === null) map.delete(id.toLowerCase());
    else map.set(id.toLowerCase(), id.toLowerCase()); // ARM answers lower-cased
  }
  if (!parseIdentityType(patch.identity.type).user) map.clear();
  host.ids = [...map.values()];
  host.type = patch.identity.type;
}

/** One full reconcile of every host against the fake ARM hosts; returns the plans by hostKey. */
export function reconcileAll(state: ClusterState, s: MicSettings, hosts: Map<string, FakeHost>): Map<string, HostUpdatePlan> {
  const { assignments } = desiredAssignments(state, s);
  const { hosts: desired } = desiredHostIdentities(assignments, state.nodes);
  const plans = new Map<string, HostUpdatePlan>();
  const desiredByKey = new Map(desired.map((h) => [h.hostKey, h]));
  for (const [hostKey, host] of hosts) {
    const plan = planHostUpdate({
      hostId: desiredByKey.get(hostKey)?.hostId ?? hostKey,
      desired: desiredByKey.get(hostKey)?.identityIds ?? [],
      actual: { type: host.type, userAssignedIdentities: host.ids },
      podidAssigned: host.podidAssigned,
      immutable: s.immutableIdentities,
      allowedScopes: s.allowedIdentityScopes,
      nodeResourceGroups: s.nodeResourceGroups,
    });
    for (const patch of plan.patches) applyPatch(host, patch);
    const mine = new Map([...host.podidAssigned, ...plan.adds].map((id) => [id.toLowerCase(), id]));
    host.podidAssigned = [...mine.values()].filter((id) => host.ids.some((h) => h.toLowerCase() === id.toLowerCase()));
    plans.set(hostKey, plan);
  }
  return plans;
}
