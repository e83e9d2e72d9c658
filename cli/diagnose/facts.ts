// Everything `podid diagnose` gathered about one pod, as plain data: the verdict is a pure
// function of it, the renderers print it, `-o json` emits it.
import type { NmiPodInfo } from "../kube/nmi-pods.ts";
import type { MicHost } from "../mic/status-client.ts";

export interface PodFacts {
  namespace: string;
  name: string;
  phase: string | undefined;
  node: string | undefined;
  ip: string | undefined;
  hostNetwork: boolean;
  terminating: boolean;
  /** Value of the `aadpodidbinding` label. */
  selector: string | undefined;
}

export interface NodeFacts {
  name: string;
  found: boolean;
  providerId: string | undefined;
  /** The VMSS or VM that carries the node's identities. */
  host: { id: string; kind: "vmss" | "vm"; name: string } | undefined;
  /** Why the providerID names no host. */
  hostError: string | undefined;
}

export type NmiFacts =
  | { state: "found"; namespace: string; selector: string; pod: NmiPodInfo; others: string[] }
  | { state: "missing"; namespace: string; selector: string }
  | { state: "error"; namespace: string; selector: string; error: string }
  | { state: "skipped"; reason: string };

export interface MatchedIdentity {
  /** `namespace/name` of the binding. */
  binding: string;
  identity: { namespace: string; name: string; type: 0 | 1 | 2; clientId: string | undefined; resourceId: string | undefined };
}

export interface RejectedBinding {
  binding: string;
  /** `namespace/name` the binding points to. */
  identity: string;
  /** core's Rejection reason: identity-not-found, binding-in-other-namespace, pod-in-other-namespace. */
  reason: string;
}

export interface BindingFacts {
  matches: MatchedIdentity[];
  rejected: RejectedBinding[];
  /** Distinct selectors of all bindings the CLI could see (for "did you mean"). */
  selectorsInCluster: string[];
}

export interface ExceptionFact {
  name: string;
  namespace: string;
  /** The exception's podLabels that the pod carries. */
  matchedLabels: Record<string, string>;
}

export interface AssignmentFact {
  namespace: string;
  name: string;
  /** `namespace/name` of the AzureIdentity it assigns. */
  identity: string;
  node: string;
  /** Effective status (legacy empty status counts as Assigned). */
  status: string;
  message: string | undefined;
}

export type MicFacts =
  | { state: "skipped"; reason: string }
  | { state: "error"; error: string }
  | { state: "ok"; cluster: string; host: MicHost | undefined };

export interface NmiLogLine {
  time: string | undefined;
  level: string;
  msg: string;
  status: number | undefined;
  outcome: string | undefined;
  reason: string | undefined;
  code: string | undefined;
  identity: string | undefined;
  clientId: string | undefined;
  durationMs: number | undefined;
}

export type NmiLogFacts =
  | { state: "skipped"; reason: string }
  | { state: "error"; error: string }
  | { state: "ok"; nmiPod: string; scanned: number; lines: NmiLogLine[] };

export interface DiagnosisFacts {
  pod: PodFacts;
  node: NodeFacts | undefined;
  nmi: NmiFacts;
  /** From the NMI pod's flags; standard when unknown. */
  mode: "standard" | "managed";
  forceNamespaced: boolean;
  bindings: BindingFacts;
  exceptions: ExceptionFact[];
  assignments: AssignmentFact[];
  mic: MicFacts;
  nmiLogs: NmiLogFacts;
}
