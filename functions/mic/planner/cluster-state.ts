// The level-based input of the planner: what the forwarder reported for one cluster.
import type { AzureIdentity, AzureIdentityBinding, AzurePodIdentityException, Node, Pod } from "../../../core/index.ts";

export interface ClusterState {
  /** Pods carrying the `aadpodidbinding` label (the forwarder sends no others). */
  pods: readonly Pod[];
  nodes: readonly Node[];
  identities: readonly AzureIdentity[];
  bindings: readonly AzureIdentityBinding[];
  /** Stored for NMI-facing tools; the MIC planner ignores exceptions. */
  exceptions?: readonly AzurePodIdentityException[];
}

export const EMPTY_CLUSTER_STATE: ClusterState = { pods: [], nodes: [], identities: [], bindings: [], exceptions: [] };

/** `namespace/name`, with Kubernetes' default namespace for objects that omit it. */
export function objectKey(meta: { namespace?: string | undefined; name: string }): string {
  return `${meta.namespace ?? "default"}/${meta.name}`;
}
