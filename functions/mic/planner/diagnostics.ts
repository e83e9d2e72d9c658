// Why a pod did not get an assignment, or why one was dropped. They feed logs, the status API
// and `podid diagnose`; none of them stops planning for the rest of the cluster.

export type DiagnosticCode =
  /** Pod has no spec.nodeName yet: nothing to assign until it is scheduled. */
  | "pod-not-scheduled"
  /** Pod is terminating or finished (Succeeded/Failed): its assignments are not desired. */
  | "pod-terminating"
  | "pod-completed"
  /** The pod's node is not (yet) in the cluster state. */
  | "node-not-found"
  /** The node's spec.providerID names no Azure VM or scale-set VM. */
  | "node-provider-id-invalid"
  /** A type-0 AzureIdentity whose resourceID is not a user-assigned identity ID. */
  | "identity-resource-id-invalid"
  /** A binding selected the pod but could not be used (identity missing, namespace rules). */
  | "binding-rejected"
  /** Two (pod, identity) pairs produce the same AAI namespace/name: the first one wins. */
  | "assignment-name-collision"
  /** `<pod>-<podNamespace>-<identity>` is longer than Kubernetes allows (253). */
  | "assignment-name-too-long"
  /** An assignment's node maps to no host (only when calling desiredHostIdentities directly). */
  | "assignment-host-unresolved";

export interface Diagnostic {
  code: DiagnosticCode;
  severity: "info" | "warning";
  message: string;
  /** `namespace/name` of the objects involved, when there are any. */
  pod?: string;
  node?: string;
  identity?: string;
  binding?: string;
  assignment?: string;
}
