// Desired AAIs → per host (VM scale set or standalone VM) the type-0 identities it must carry.
// All nodes of a scale set share one identity list (aad-pod-identity's consolidateVMSSNodes),
// which is why an identity stays on a scale set until no pod on any of its nodes needs it.
import { hostFromProviderId, resourceIdKey, type AzureAssignedIdentity, type HostKind, type Node } from "../../../core/index.ts";
import { assignmentKey, assignmentResourceId } from "./assigned-identity.ts";
import type { Diagnostic } from "./diagnostics.ts";
import { ResourceIdSet } from "./id-set.ts";

export interface HostDesired {
  /** `resourceIdKey(hostId)`: the host's identity in maps, row keys and instance ids. */
  hostKey: string;
  /** Canonical resource ID of the scale set or VM (what ARM is asked to PATCH). */
  hostId: string;
  kind: HostKind;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  /** Names of the cluster nodes backed by this host, sorted. */
  nodes: string[];
  /** Type-0 identity resource IDs (first spelling seen), unique case-insensitively, sorted by key. */
  identityIds: string[];
  /** Keys (`namespace/name`) of every desired AAI on this host, any identity type, sorted. */
  assignments: string[];
  /** `resourceIdKey(identity id)` → keys of the AAIs that need it on this host. */
  assignmentsByIdentity: Record<string, string[]>;
}

export interface HostIdentities {
  /** Every host that backs at least one node, sorted by hostKey (empty ones included, so a
   * host whose last pod left is still planned and loses its identities). */
  hosts: HostDesired[];
  /** AAI key → hostKey. */
  assignmentHost: Record<string, string>;
  /** AAIs whose node is unknown or has no usable providerID (desiredAssignments never yields them). */
  diagnostics: Diagnostic[];
}

interface HostAcc {
  desired: HostDesired;
  ids: ResourceIdSet;
}

export function desiredHostIdentities(desired: readonly AzureAssignedIdentity[], nodes: readonly Node[]): HostIdentities {
  const hosts = new Map<string, HostAcc>();
  const nodeHost = new Map<string, HostAcc>();
  for (const node of [...nodes].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) {
    let host;
    try {
      host = hostFromProviderId(node.spec.providerID);
    } catch {
      continue; // reported by desiredAssignments for the pods that care
    }
    const hostKey = resourceIdKey(host.id);
    let acc = hosts.get(hostKey);
    if (!acc) {
      acc = {
        ids: new ResourceIdSet(),
        desired: {
          hostKey, hostId: host.id, kind: host.kind, subscriptionId: host.subscriptionId,
          resourceGroup: host.resourceGroup, name: host.name, nodes: [], identityIds: [], assignments: [], assignmentsByIdentity: {},
        },
      };
      hosts.set(hostKey, acc);
    }
    acc.desired.nodes.push(node.metadata.name);
    nodeHost.set(node.metadata.name, acc);
  }

  const assignmentHost: Record<string, string> = {};
  const diagnostics: Diagnostic[] = [];
  for (const aai of desired) {
    const key = assignmentKey(aai);
    const acc = nodeHost.get(aai.spec.nodename);
    if (!acc) {
      diagnostics.push({ code: "assignment-host-unresolved", severity: "warning", assignment: key, node: aai.spec.nodename, message: `node ${aai.spec.nodename} of ${key} maps to no Azure host` });
      continue;
    }
    assignmentHost[key] = acc.desired.hostKey;
    acc.desired.assignments.push(key);
    const id = assignmentResourceId(aai);
    if (id === undefined) continue;
    acc.ids.add(id);
    const idKey = resourceIdKey(id);
    (acc.desired.assignmentsByIdentity[idKey] ??= []).push(key);
  }

  const out = [...hosts.values()].sort((a, b) => (a.desired.hostKey < b.desired.hostKey ? -1 : 1)).map(({ desired: d, ids }) => {
    d.identityIds = ids.values();
    d.assignments.sort();
    for (const list of Object.values(d.assignmentsByIdentity)) list.sort();
    return d;
  });
  return { hosts: out, assignmentHost, diagnostics };
}
