// Which identities a pod may use, with the state of each (pure).
//   standard: AzureAssignedIdentities for this pod grant; a binding that selects the pod but
//             whose assignment does not exist yet only makes the request wait (never grants).
//   managed:  bindings + identities in the pod's namespace grant (identities are assigned to
//             the node out of band).
import {
  AssignedStatus,
  effectiveAssignedStatus,
  identitiesForPod,
  isNamespacedIdentity,
  type AzureAssignedIdentity,
  type AzureIdentity,
  type AzureIdentityBinding,
  type IdentityLookup,
  type Pod,
} from "../../core/index.ts";

export type CandidateState = "ready" | "pending" | "failed";

export interface Candidate {
  identity: AzureIdentity;
  state: CandidateState;
  /** Why the candidate has this state (log field / metric label). */
  reason: string;
  /** Failure message from the assignment (status.message), for `failed`. */
  message?: string;
  /** Stable order: binding namespace/name, then identity namespace/name. */
  order: string;
}

export interface AllowedInput {
  mode: "standard" | "managed";
  nodeName: string;
  forceNamespaced: boolean;
  pod: Pod;
  /** Assignments on this node (standard mode). */
  assigned: readonly AzureAssignedIdentity[];
  /** Bindings in the pod's namespace (managed) or all watched bindings (standard). */
  bindings: readonly AzureIdentityBinding[];
  identities: IdentityLookup;
}

function identityKey(identity: Pick<AzureIdentity, "metadata">): string {
  return `${identity.metadata.namespace ?? "default"}/${identity.metadata.name}`;
}

function orderKey(binding: AzureIdentityBinding | undefined, identity: AzureIdentity): string {
  const b = binding ? `${binding.metadata.namespace ?? "default"}/${binding.metadata.name}` : "";
  return `${b}\u0000${identityKey(identity)}`;
}

function fromAssignment(aai: AzureAssignedIdentity, input: AllowedInput): Candidate | undefined {
  const { pod } = input;
  if (aai.spec.pod !== pod.metadata.name || aai.spec.podNamespace !== (pod.metadata.namespace ?? "default")) return undefined;
  if (aai.spec.nodename !== input.nodeName) return undefined;
  const identity = aai.spec.azureIdentityRef;
  if (!identity) return undefined;
  // A namespaced identity never serves a pod of another namespace, whatever an AAI says.
  if (isNamespacedIdentity(identity, input.forceNamespaced) && identity.metadata.namespace !== pod.metadata.namespace) {
    return undefined;
  }
  const status = effectiveAssignedStatus(aai);
  const order = orderKey(aai.spec.azureBindingRef, identity);
  switch (status) {
    case AssignedStatus.Assigned:
      return { identity, state: "ready", reason: "assignment-assigned", order };
    case AssignedStatus.Created:
      return { identity, state: "pending", reason: "assignment-created", order };
    case AssignedStatus.Failed: {
      const c: Candidate = { identity, state: "failed", reason: "assignment-failed", order };
      if (aai.status?.message !== undefined) c.message = aai.status.message;
      return c;
    }
    default:
      // Unassigned (being removed) or unknown: not usable.
      return undefined;
  }
}

export function allowedIdentities(input: AllowedInput): Candidate[] {
  const podNs = input.pod.metadata.namespace ?? "default";
  // Bindings are only considered in the pod's own namespace when the identity is namespaced;
  // core's identitiesForPod applies that rule (and the pod-label selector match).
  const bindings = input.mode === "managed" ? input.bindings.filter((b) => (b.metadata.namespace ?? "default") === podNs) : input.bindings;
  const { matches } = identitiesForPod(input.pod, bindings, input.identities, input.forceNamespaced);
  const candidates: Candidate[] = [];
  if (input.mode === "managed") {
    for (const m of matches) {
      candidates.push({ identity: m.identity, state: "ready", reason: "binding-matches", order: orderKey(m.binding, m.identity) });
    }
  } else {
    const assignedKeys = new Set<string>();
    for (const aai of input.assigned) {
      const c = fromAssignment(aai, input);
      if (!c) continue;
      candidates.push(c);
      assignedKeys.add(identityKey(c.identity));
    }
    for (const m of matches) {
      if (assignedKeys.has(identityKey(m.identity))) continue;
      candidates.push({ identity: m.identity, state: "pending", reason: "assignment-not-created", order: orderKey(m.binding, m.identity) });
    }
  }
  return candidates.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
}
