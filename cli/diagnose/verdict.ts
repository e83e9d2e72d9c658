// The diagnosis rules: gathered facts → one verdict line and the next step. Pure; the first
// rule that applies wins, ordered from "NMI will never see this pod" down to "everything is
// assigned", so the verdict names the earliest broken link in the chain.
import type { AssignmentFact, DiagnosisFacts, MatchedIdentity, MicFacts } from "./facts.ts";
import { nextStepForFailure, nextStepForNmiCode, splitFailure } from "./next-steps.ts";

export type VerdictKind =
  | "healthy" | "host-network" | "pod-terminating" | "pod-finished" | "excepted" | "pod-not-scheduled" | "pod-not-labelled"
  | "no-binding" | "binding-rejected" | "node-missing" | "node-without-host" | "nmi-missing" | "nmi-not-ready"
  | "assignment-failed" | "assignment-missing" | "assignment-stale" | "assignment-created" | "assignment-unassigned" | "nmi-denied";

export interface Verdict {
  kind: VerdictKind;
  /** 0 healthy (or intentionally excepted), 1 a problem was found. */
  exitCode: 0 | 1;
  summary: string;
  next: string | undefined;
  /** `summary — next`: the line the CLI ends with. */
  line: string;
}

function verdict(kind: VerdictKind, summary: string, next?: string, exitCode: 0 | 1 = 1): Verdict {
  return { kind, exitCode, summary, next, line: next === undefined ? summary : `${summary} — ${next}` };
}

const quoteList = (xs: string[], max = 5): string =>
  xs.length === 0 ? "none" : xs.slice(0, max).join(", ") + (xs.length > max ? `, … (${xs.length - max} more)` : "");

export function diagnoseVerdict(f: DiagnosisFacts): Verdict {
  const { pod } = f;
  const podRef = `${pod.namespace}/${pod.name}`;
  if (pod.hostNetwork) {
    return verdict("host-network", "pod uses hostNetwork: NMI never intercepts it, so it reaches IMDS directly with the node's identities",
      "run it without hostNetwork to use pod identity");
  }
  if (pod.terminating) return verdict("pod-terminating", "pod is terminating: NMI no longer serves it", "check the pod that replaces it");
  if (pod.phase === "Succeeded" || pod.phase === "Failed") {
    return verdict("pod-finished", `pod has finished (phase ${pod.phase}): finished pods get no identity`, "diagnose a running pod instead");
  }
  const exception = f.exceptions[0];
  if (exception) {
    const labels = Object.entries(exception.matchedLabels).map(([k, v]) => `${k}=${v}`).join(", ");
    const hasBinding = pod.selector !== undefined && f.bindings.matches.length > 0;
    return verdict("excepted", `pod is excepted by AzurePodIdentityException ${exception.namespace}/${exception.name} (${labels}): it gets node identities directly`,
      hasBinding ? `its bindings are ignored: remove ${labels} from the pod (or the exception) to use pod identity` : undefined, hasBinding ? 1 : 0);
  }
  if (pod.node === undefined) return verdict("pod-not-scheduled", "pod is not scheduled yet: it has no node, so no NMI serves it", "wait for scheduling (kubectl describe pod)");
  const selectors = f.bindings.selectorsInCluster;
  if (pod.selector === undefined) {
    return verdict("pod-not-labelled", `pod has no aadpodidbinding label (bindings with selectors: ${quoteList(selectors)})`,
      "add the label aadpodidbinding=<selector> to the pod template");
  }
  if (f.bindings.matches.length === 0 && f.bindings.rejected.length === 0) {
    return verdict("no-binding", `no AzureIdentityBinding selects label aadpodidbinding=${pod.selector} (bindings with selectors: ${quoteList(selectors)})`,
      `create a binding with selector "${pod.selector}" or change the pod's label`);
  }
  if (f.bindings.matches.length === 0) {
    const r = f.bindings.rejected[0];
    if (r?.reason === "identity-not-found") {
      return verdict("binding-rejected", `binding ${r.binding} points to AzureIdentity ${r.identity}, which does not exist`,
        "create that AzureIdentity or fix the binding's spec.azureIdentity");
    }
    return verdict("binding-rejected", `binding ${r?.binding ?? "?"} selects the pod but identity ${r?.identity ?? "?"} is namespaced (${r?.reason ?? "?"}): it serves only its own namespace`,
      `bind an identity in namespace ${pod.namespace}, or remove the namespaced behaviour from ${r?.identity ?? "the identity"}`);
  }
  if (f.node && !f.node.found) return verdict("node-missing", `the pod's node ${pod.node} does not exist`, "the pod should be rescheduled (kubectl get nodes)");
  if (f.nmi.state === "missing") {
    return verdict("nmi-missing", `no NMI pod on node ${pod.node} (namespace ${f.nmi.namespace}, selector ${f.nmi.selector}): the pod's IMDS traffic is not intercepted`,
      `check the NMI DaemonSet: kubectl -n ${f.nmi.namespace} get ds,pods -o wide`);
  }
  if (f.nmi.state === "found" && (f.nmi.pod.phase !== "Running" || f.nmi.pod.ready === false)) {
    return verdict("nmi-not-ready", `NMI pod ${f.nmi.pod.name} on node ${pod.node} is not ready (phase ${f.nmi.pod.phase})`,
      `kubectl -n ${f.nmi.namespace} describe pod ${f.nmi.pod.name}`);
  }
  const hostName = f.node?.host?.name ?? pod.node;
  if (f.mode === "standard") {
    if (f.node?.found && f.node.host === undefined && f.bindings.matches.some((m) => m.identity.type === 0)) {
      return verdict("node-without-host", `node ${pod.node} names no Azure VM or scale set (${f.node.hostError ?? "no providerID"}): the MIC cannot assign identities to it`,
        "check the node's spec.providerID");
    }
    const problem = assignmentProblem(f, podRef, hostName);
    if (problem) return problem;
  }
  const denied = lastDenial(f);
  if (denied) return denied;
  const names = f.bindings.matches.map((m) => `"${m.identity.name}"`);
  const which = names.length === 1 ? `identity ${names[0] ?? ""} is` : `identities ${names.join(", ")} are`;
  if (f.mode === "managed") {
    return verdict("healthy", `healthy (managed mode): ${which} bound and NMI serves ${names.length === 1 ? "it" : "them"} directly; type-0 identities must be on ${hostName} out of band`, undefined, 0);
  }
  return verdict("healthy", `healthy: ${which} Assigned on ${hostName}`, undefined, 0);
}

type IdState = "failed" | "missing" | "stale" | "created" | "unassigned" | "assigned";
const SEVERITY: IdState[] = ["failed", "missing", "stale", "created", "unassigned", "assigned"];

function assignmentOf(f: DiagnosisFacts, m: MatchedIdentity): AssignmentFact | undefined {
  const key = `${m.identity.namespace}/${m.identity.name}`;
  return f.assignments.find((a) => a.identity === key);
}

function stateOf(f: DiagnosisFacts, a: AssignmentFact | undefined): IdState {
  if (!a) return "missing";
  if (a.status === "Failed") return "failed";
  if (a.node !== f.pod.node) return "stale";
  if (a.status === "Created") return "created";
  if (a.status === "Unassigned") return "unassigned";
  return "assigned";
}

function assignmentProblem(f: DiagnosisFacts, podRef: string, hostName: string): Verdict | undefined {
  const states = f.bindings.matches.map((m) => {
    const a = assignmentOf(f, m);
    return { m, a, state: stateOf(f, a) };
  }).sort((x, y) => SEVERITY.indexOf(x.state) - SEVERITY.indexOf(y.state));
  const worst = states[0];
  if (!worst || worst.state === "assigned") return undefined;
  const { m, a } = worst;
  const id = `"${m.identity.name}"`;
  const ctx = { identity: `${m.identity.namespace}/${m.identity.name}`, hostName, ...(m.identity.resourceId ? { resourceId: m.identity.resourceId } : {}) };
  switch (worst.state) {
    case "failed": {
      const { code, text } = splitFailure(a?.message);
      return verdict("assignment-failed", `identity ${id} is Failed: ${code || text || "no message"}`, nextStepForFailure(code, text, ctx));
    }
    case "missing":
      return verdict("assignment-missing", `identity ${id} has no AzureAssignedIdentity for ${podRef}: the MIC has not processed the pod (${micView(f.mic, hostName, m)})`,
        micNext(f.mic, ctx) ?? "check that the forwarder is running and sending events, then: podid status");
    case "stale":
      return verdict("assignment-stale", `identity ${id} is assigned for node ${a?.node ?? "?"}, but the pod runs on ${f.pod.node ?? "?"}: the MIC has not caught up (${micView(f.mic, hostName, m)})`,
        micNext(f.mic, ctx) ?? "wait a minute; if it persists, check the forwarder and podid status");
    case "created":
      return verdict("assignment-created", `identity ${id} is Created: the MIC has not assigned it yet (${micView(f.mic, hostName, m)})`,
        micNext(f.mic, ctx) ?? "wait: a scale-set update takes up to a minute; if it stays Created, run podid status");
    case "unassigned":
      return verdict("assignment-unassigned", `identity ${id} is Unassigned: the MIC is removing it from ${hostName}`,
        "check that a binding still selects the pod; the MIC re-assigns it on its next reconcile");
  }
}

/** The MIC's side of a pending assignment, in a few words. */
function micView(mic: MicFacts, hostName: string, m: MatchedIdentity): string {
  if (mic.state === "skipped") return `host ${hostName}; MIC view skipped: ${mic.reason}`;
  if (mic.state === "error") return `host ${hostName}; MIC view unavailable: ${mic.error}`;
  const h = mic.host;
  if (!h) return `host ${hostName} is unknown to the MIC of cluster "${mic.cluster}"`;
  const parts: string[] = [];
  const rid = m.identity.resourceId?.toLowerCase();
  const skipped = h.pending?.skipped.find((s) => s.id.toLowerCase() === rid);
  if (skipped) parts.push(`skipped: ${skipped.reason}`);
  else if (rid !== undefined && h.pending?.adds.some((x) => x.toLowerCase() === rid)) parts.push("pending add of this identity");
  else if ((h.pending?.adds.length ?? 0) > 0) parts.push(`pending ${h.pending?.adds.length ?? 0} add(s)`);
  const lag = (h.generation ?? 0) - (h.reconciledGeneration ?? 0);
  if (h.generation !== undefined && h.reconciledGeneration !== undefined && lag > 0) parts.push(`reconcile pending (generation ${h.generation}, reconciled ${h.reconciledGeneration})`);
  if (h.lastError) parts.push(`last error ${h.lastError.code}: ${h.lastError.message}`);
  return `host ${hostName}: ${parts.length > 0 ? parts.join("; ") : "no pending work reported"}`;
}

/** A concrete step when the MIC reports why: a skip reason for this identity or a host error. */
function micNext(mic: MicFacts, ctx: Parameters<typeof nextStepForFailure>[2]): string | undefined {
  if (mic.state !== "ok" || !mic.host) return undefined;
  const rid = ctx.resourceId?.toLowerCase();
  const skipped = mic.host.pending?.skipped.find((s) => s.id.toLowerCase() === rid);
  if (skipped) return nextStepForFailure(skipped.reason, "", ctx);
  const e = mic.host.lastError;
  return e ? nextStepForFailure(e.code, e.message, ctx) : undefined;
}

/** NMI's most recent answer to this pod, when it was a final refusal. */
function lastDenial(f: DiagnosisFacts): Verdict | undefined {
  if (f.nmiLogs.state !== "ok") return undefined;
  const last = [...f.nmiLogs.lines].reverse().find((l) => l.status !== undefined);
  if (!last || last.status === undefined || last.status !== 403 || last.code === undefined) return undefined;
  const when = last.time === undefined ? "" : ` at ${last.time}`;
  return verdict("nmi-denied", `NMI refused the pod's last token request${when}: ${last.code} (${last.reason ?? "no reason"})`,
    nextStepForNmiCode(last.code, f.bindings.matches[0]?.identity.name));
}
