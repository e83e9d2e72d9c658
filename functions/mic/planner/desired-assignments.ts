// Cluster state → desired AzureAssignedIdentity objects (aad-pod-identity MIC step 3).
//
// Pod phase: upstream never looked at it, so a finished Job pod kept its identity on the node
// until the Pod object was deleted. We exclude Succeeded/Failed pods (no container runs, their IP
// may already be reused) and terminating pods (deletionTimestamp set): NMI stops serving a pod
// once it terminates (core `isActivePod`), so keeping its assignment buys nothing and delays the
// removal. A pod without a reported phase (just created) is included.
//
// Hosts: an assignment is only desired when the pod's node is known and its providerID names an
// Azure host, so every desired AAI belongs to exactly one host orchestration (AKS sets providerID
// within seconds; the node update then re-plans the host).
import {
  POD_BINDING_LABEL, hostFromProviderId, identitiesForPod, isUserAssignedIdentityId,
  type AzureAssignedIdentity, type AzureIdentity, type Node, type Pod,
} from "../../../core/index.ts";
import { assignmentKey, buildAssignedIdentity } from "./assigned-identity.ts";
import { objectKey, type ClusterState } from "./cluster-state.ts";
import type { Diagnostic } from "./diagnostics.ts";
import type { MicSettings } from "./settings.ts";

export interface DesiredAssignments {
  /** Sorted by namespace/name; at most one per AAI namespace/name. */
  assignments: AzureAssignedIdentity[];
  diagnostics: Diagnostic[];
}

const MAX_NAME_LENGTH = 253;

type PodExclusion = "pod-terminating" | "pod-completed";

function podExclusion(pod: Pod): PodExclusion | undefined {
  if (pod.metadata.deletionTimestamp !== undefined) return "pod-terminating";
  const phase = pod.status.phase;
  return phase === "Succeeded" || phase === "Failed" ? "pod-completed" : undefined;
}

function byKey<T extends { metadata: { namespace?: string | undefined; name: string } }>(a: T, b: T): number {
  const ka = objectKey(a.metadata);
  const kb = objectKey(b.metadata);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Type-0 identities need a valid user-assigned identity resource ID; others are kept as is. */
function usableIdentities(identities: readonly AzureIdentity[], diagnostics: Diagnostic[]): Map<string, AzureIdentity> {
  const usable = new Map<string, AzureIdentity>();
  for (const identity of identities) {
    const key = objectKey(identity.metadata);
    const resourceID = identity.spec.resourceID ?? "";
    if (identity.spec.type === 0 && !isUserAssignedIdentityId(resourceID)) {
      diagnostics.push({
        code: "identity-resource-id-invalid", severity: "warning", identity: key,
        message: `type-0 AzureIdentity ${key} has resourceID '${resourceID}', not a user-assigned identity ID; it is ignored`,
      });
      continue;
    }
    usable.set(key, identity);
  }
  return usable;
}

/** Node name → reason it cannot carry identities, or undefined when it can. */
function nodeProblem(nodes: ReadonlyMap<string, Node>, nodeName: string): { code: "node-not-found" | "node-provider-id-invalid"; message: string } | undefined {
  const node = nodes.get(nodeName);
  if (!node) return { code: "node-not-found", message: `node ${nodeName} is not in the cluster state` };
  try {
    hostFromProviderId(node.spec.providerID);
    return undefined;
  } catch (e) {
    return { code: "node-provider-id-invalid", message: `node ${nodeName}: ${(e as Error).message}` };
  }
}

export function desiredAssignments(state: ClusterState, settings: Pick<MicSettings, "forceNamespaced">): DesiredAssignments {
  const diagnostics: Diagnostic[] = [];
  const identities = usableIdentities(state.identities, diagnostics);
  const invalidIdentities = new Set(diagnostics.map((d) => d.identity));
  const nodes = new Map(state.nodes.map((n) => [n.metadata.name, n]));
  const lookup = { identity: (ns: string, name: string) => identities.get(`${ns}/${name}`) };
  const chosen = new Map<string, { aai: AzureAssignedIdentity; source: string }>();

  for (const pod of [...state.pods].sort(byKey)) {
    const podKey = objectKey(pod.metadata);
    if (!pod.metadata.labels?.[POD_BINDING_LABEL]) continue;
    const { matches, rejected } = identitiesForPod(pod, state.bindings, lookup, settings.forceNamespaced);
    for (const r of rejected) {
      const identity = `${r.binding.metadata.namespace ?? "default"}/${r.binding.spec.azureIdentity}`;
      const reason = r.reason === "identity-not-found" && invalidIdentities.has(identity) ? "identity-resource-id-invalid" : r.reason;
      diagnostics.push({
        code: "binding-rejected", severity: "info", pod: podKey, binding: objectKey(r.binding.metadata), identity,
        message: `binding ${objectKey(r.binding.metadata)} selects pod ${podKey} but is not used: ${reason}`,
      });
    }
    if (matches.length === 0) continue;
    const excluded = podExclusion(pod);
    if (excluded) {
      diagnostics.push({ code: excluded, severity: "info", pod: podKey, message: `pod ${podKey} is ${excluded === "pod-terminating" ? "terminating" : `finished (${pod.status.phase ?? ""})`}: no identity assigned` });
      continue;
    }
    const nodeName = pod.spec.nodeName;
    if (nodeName === undefined || nodeName === "") {
      diagnostics.push({ code: "pod-not-scheduled", severity: "info", pod: podKey, message: `pod ${podKey} is not scheduled on a node yet` });
      continue;
    }
    const problem = nodeProblem(nodes, nodeName);
    if (problem) {
      diagnostics.push({ ...problem, severity: "warning", pod: podKey, node: nodeName });
      continue;
    }
    for (const { binding, identity } of matches) {
      const aai = buildAssignedIdentity(pod, nodeName, binding, identity, settings.forceNamespaced);
      const key = assignmentKey(aai);
      const source = `pod ${podKey}, binding ${objectKey(binding.metadata)}, identity ${objectKey(identity.metadata)}`;
      if (aai.metadata.name.length > MAX_NAME_LENGTH) {
        diagnostics.push({ code: "assignment-name-too-long", severity: "warning", pod: podKey, assignment: key, message: `AzureAssignedIdentity name for ${source} exceeds ${MAX_NAME_LENGTH} characters` });
        continue;
      }
      const first = chosen.get(key);
      if (first) {
        diagnostics.push({
          code: "assignment-name-collision", severity: "warning", pod: podKey, assignment: key,
          binding: objectKey(binding.metadata), identity: objectKey(identity.metadata),
          message: `AzureAssignedIdentity ${key} is already desired for ${first.source}; ignoring ${source}`,
        });
        continue;
      }
      chosen.set(key, { aai, source });
    }
  }
  const assignments = [...chosen.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v.aai);
  return { assignments, diagnostics };
}
