// The diagnosis rules as a table: one case per verdict, plus the precedence between them.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { DiagnosisFacts } from "../../../cli/diagnose/facts.ts";
import { diagnoseVerdict, type VerdictKind } from "../../../cli/diagnose/verdict.ts";
import { aai, facts, HOST_ID, healthyFacts, match, UAI } from "../../helpers/cli-facts.ts";

const LINKED = "LinkedAuthorizationFailed: The client 'c1' with object id 'mic-oid-1' has permission to perform action 'Microsoft.Compute/virtualMachineScaleSets/write' on scope 'x'; however, it does not have permission to perform action 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action' on the linked scope(s) 'y'";
const micHost = (patch: Record<string, unknown> = {}): DiagnosisFacts["mic"] => ({
  state: "ok", cluster: "c1",
  host: { hostId: HOST_ID, generation: 7, reconciledGeneration: 6, pending: { adds: [UAI], removes: [], skipped: [] }, lastError: null, ...patch },
});

const cases: Array<{ name: string; f: DiagnosisFacts; kind: VerdictKind; exit: 0 | 1; line: RegExp }> = [
  { name: "healthy", f: healthyFacts(), kind: "healthy", exit: 0, line: /^healthy: identity "web-id" is Assigned on vmss-a$/ },
  { name: "healthy with two identities, legacy empty status counted as Assigned upstream",
    f: facts((f) => { f.bindings.matches.push(match("api-id")); f.assignments.push(aai("api-id")); }),
    kind: "healthy", exit: 0, line: /identities "web-id", "api-id" are Assigned on vmss-a/ },
  { name: "hostNetwork pods are never intercepted", f: facts((f) => { f.pod.hostNetwork = true; }), kind: "host-network", exit: 1, line: /hostNetwork: NMI never intercepts it/ },
  { name: "terminating pod", f: facts((f) => { f.pod.terminating = true; }), kind: "pod-terminating", exit: 1, line: /terminating/ },
  { name: "finished pod", f: facts((f) => { f.pod.phase = "Succeeded"; }), kind: "pod-finished", exit: 1, line: /phase Succeeded/ },
  { name: "excepted pod without binding label: intentional, exit 0",
    f: facts((f) => { f.pod.selector = undefined; f.bindings.matches = []; f.exceptions = [{ namespace: "default", name: "mic-exc", matchedLabels: { app: "mic" } }]; }),
    kind: "excepted", exit: 0, line: /^pod is excepted by AzurePodIdentityException default\/mic-exc \(app=mic\): it gets node identities directly$/ },
  { name: "excepted pod whose bindings are ignored: exit 1",
    f: facts((f) => { f.exceptions = [{ namespace: "default", name: "exc", matchedLabels: { app: "web" } }]; }),
    kind: "excepted", exit: 1, line: /bindings are ignored: remove app=web/ },
  { name: "not scheduled", f: facts((f) => { f.pod.node = undefined; f.node = undefined; f.nmi = { state: "skipped", reason: "pod has no node" }; }), kind: "pod-not-scheduled", exit: 1, line: /not scheduled/ },
  { name: "no aadpodidbinding label", f: facts((f) => { f.pod.selector = undefined; f.bindings.matches = []; }), kind: "pod-not-labelled", exit: 1, line: /no aadpodidbinding label \(bindings with selectors: api, web\)/ },
  { name: "no binding selects the label",
    f: facts((f) => { f.pod.selector = "webb"; f.bindings.matches = []; }),
    kind: "no-binding", exit: 1, line: /^no AzureIdentityBinding selects label aadpodidbinding=webb \(bindings with selectors: api, web\) — create a binding with selector "webb"/ },
  { name: "no bindings at all", f: facts((f) => { f.bindings = { matches: [], rejected: [], selectorsInCluster: [] }; }), kind: "no-binding", exit: 1, line: /selectors: none/ },
  { name: "binding points to a missing identity",
    f: facts((f) => { f.bindings.matches = []; f.bindings.rejected = [{ binding: "default/b", identity: "default/gone", reason: "identity-not-found" }]; }),
    kind: "binding-rejected", exit: 1, line: /binding default\/b points to AzureIdentity default\/gone, which does not exist/ },
  { name: "namespaced identity in another namespace",
    f: facts((f) => { f.bindings.matches = []; f.bindings.rejected = [{ binding: "team/b", identity: "team/id", reason: "pod-in-other-namespace" }]; }),
    kind: "binding-rejected", exit: 1, line: /namespaced \(pod-in-other-namespace\).*bind an identity in namespace default/ },
  { name: "node gone", f: facts((f) => { if (f.node) f.node.found = false; }), kind: "node-missing", exit: 1, line: /node node-a does not exist/ },
  { name: "no NMI on the node",
    f: facts((f) => { f.nmi = { state: "missing", namespace: "podid-system", selector: "app.kubernetes.io/name=podid-nmi" }; }),
    kind: "nmi-missing", exit: 1, line: /no NMI pod on node node-a .* kubectl -n podid-system get ds/ },
  { name: "NMI not ready", f: facts((f) => { if (f.nmi.state === "found") f.nmi.pod.ready = false; }), kind: "nmi-not-ready", exit: 1, line: /NMI pod podid-nmi-abc on node node-a is not ready/ },
  { name: "node without an Azure providerID",
    f: facts((f) => { if (f.node) { f.node.host = undefined; f.node.hostError = "node has no spec.providerID"; } }),
    kind: "node-without-host", exit: 1, line: /names no Azure VM or scale set/ },
  { name: "Failed with LinkedAuthorizationFailed names the scope and the MIC's object id",
    f: facts((f) => { f.assignments = [aai("web-id", "Failed", { message: LINKED })]; }),
    kind: "assignment-failed", exit: 1,
    line: new RegExp(`^identity "web-id" is Failed: LinkedAuthorizationFailed — grant Managed Identity Operator on ${UAI.replace(/[/.]/g, "\\$&")} to the MIC's identity \\(object id mic-oid-1\\)$`) },
  { name: "Failed: identity not found", f: facts((f) => { f.assignments = [aai("web-id", "Failed", { message: "FailedIdentityOperation: Resource 'x' was not found." })]; }),
    kind: "assignment-failed", exit: 1, line: /is Failed: FailedIdentityOperation — check that .* exists/ },
  { name: "Failed: outside the allow-list", f: facts((f) => { f.assignments = [aai("web-id", "Failed", { message: "identity-outside-allowed-scopes: not in scope" })]; }),
    kind: "assignment-failed", exit: 1, line: /allowed identity scopes/ },
  { name: "no AzureAssignedIdentity yet", f: facts((f) => { f.assignments = []; }), kind: "assignment-missing", exit: 1,
    line: /has no AzureAssignedIdentity for default\/web-1: the MIC has not processed the pod \(host vmss-a; MIC view skipped: .*\) — check that the forwarder/ },
  { name: "assignment for another node", f: facts((f) => { f.assignments = [aai("web-id", "Assigned", { node: "node-old" })]; }), kind: "assignment-stale", exit: 1, line: /assigned for node node-old, but the pod runs on node-a/ },
  { name: "Created with the MIC's pending view",
    f: facts((f) => { f.assignments = [aai("web-id", "Created")]; f.mic = micHost(); }),
    kind: "assignment-created", exit: 1,
    line: /^identity "web-id" is Created: the MIC has not assigned it yet \(host vmss-a: pending add of this identity; reconcile pending \(generation 7, reconciled 6\)\) — wait/ },
  { name: "Created and the host has a last error: the error decides the next step",
    f: facts((f) => { f.assignments = [aai("web-id", "Created")]; f.mic = micHost({ lastError: { code: "AuthorizationFailed", message: "The client 'c' with object id 'oid-9' does not have authorization", at: "t" } }); }),
    kind: "assignment-created", exit: 1, line: /last error AuthorizationFailed.* — grant Virtual Machine Contributor on the node resource group of vmss-a to the MIC's identity \(object id oid-9\)/ },
  { name: "Created and the host's last error is retryable: the MIC retries on its own",
    f: facts((f) => { f.assignments = [aai("web-id", "Created")]; f.mic = micHost({ lastError: { code: "Conflict", message: "conflict with a concurrent request", at: "t" } }); }),
    kind: "assignment-created", exit: 1, line: /last error Conflict: .* — the MIC retries this on its own/ },
  { name: "Created, host unknown to the MIC", f: facts((f) => { f.assignments = [aai("web-id", "Created")]; f.mic = { state: "ok", cluster: "c1", host: undefined }; }),
    kind: "assignment-created", exit: 1, line: /host vmss-a is unknown to the MIC of cluster "c1"/ },
  { name: "Created, MIC unreachable", f: facts((f) => { f.assignments = [aai("web-id", "Created")]; f.mic = { state: "error", error: "ECONNREFUSED" }; }),
    kind: "assignment-created", exit: 1, line: /MIC view unavailable: ECONNREFUSED/ },
  { name: "Unassigned", f: facts((f) => { f.assignments = [aai("web-id", "Unassigned")]; }), kind: "assignment-unassigned", exit: 1, line: /is Unassigned: the MIC is removing it from vmss-a/ },
  { name: "the worst identity wins: Failed before Created",
    f: facts((f) => { f.bindings.matches.push(match("api-id")); f.assignments = [aai("web-id", "Created"), aai("api-id", "Failed", { message: LINKED })]; }),
    kind: "assignment-failed", exit: 1, line: /identity "api-id" is Failed/ },
  { name: "everything assigned but NMI denied the last request",
    f: facts((f) => { f.nmiLogs = { state: "ok", nmiPod: "n", scanned: 9, lines: [
      { time: "t1", level: "info", msg: "request", status: 200, outcome: "token", reason: "ok", code: undefined, identity: "web-id", clientId: undefined, durationMs: 3 },
      { time: "t2", level: "info", msg: "request", status: 403, outcome: "denied", reason: "requested-client-id-not-bound", code: "PODID_NMI_IDENTITY_NOT_PERMITTED", identity: undefined, clientId: undefined, durationMs: 1 },
    ] }; }),
    kind: "nmi-denied", exit: 1, line: /NMI refused the pod's last token request at t2: PODID_NMI_IDENTITY_NOT_PERMITTED .* request identity "web-id"/ },
  { name: "an old denial followed by a success is healthy",
    f: facts((f) => { f.nmiLogs = { state: "ok", nmiPod: "n", scanned: 9, lines: [
      { time: "t1", level: "info", msg: "request", status: 403, outcome: "denied", reason: "x", code: "PODID_NMI_NO_IDENTITY_BOUND", identity: undefined, clientId: undefined, durationMs: 1 },
      { time: "t2", level: "info", msg: "request", status: 200, outcome: "token", reason: "ok", code: undefined, identity: "web-id", clientId: undefined, durationMs: 3 },
    ] }; }),
    kind: "healthy", exit: 0, line: /^healthy/ },
  { name: "managed mode needs no AzureAssignedIdentity", f: facts((f) => { f.mode = "managed"; f.assignments = []; }), kind: "healthy", exit: 0, line: /healthy \(managed mode\)/ },
  { name: "NMI lookup failed (forbidden): diagnosis goes on", f: facts((f) => { f.nmi = { state: "error", namespace: "podid-system", selector: "s", error: "403" }; }), kind: "healthy", exit: 0, line: /^healthy/ },
];

for (const c of cases) {
  test(`verdict: ${c.name}`, () => {
    const v = diagnoseVerdict(c.f);
    assert.equal(v.kind, c.kind, v.line);
    assert.equal(v.exitCode, c.exit, v.line);
    assert.match(v.line, c.line);
    assert.equal(v.line, v.next === undefined ? v.summary : `${v.summary} — ${v.next}`);
    assert.ok(!v.line.includes("\n"), "one line");
  });
}

test("every verdict kind except the catch-alls is covered by the table", () => {
  const covered = new Set(cases.map((c) => diagnoseVerdict(c.f).kind));
  const all: VerdictKind[] = ["healthy", "host-network", "pod-terminating", "pod-finished", "excepted", "pod-not-scheduled", "pod-not-labelled", "no-binding",
    "binding-rejected", "node-missing", "node-without-host", "nmi-missing", "nmi-not-ready", "assignment-failed", "assignment-missing", "assignment-stale",
    "assignment-created", "assignment-unassigned", "nmi-denied"];
  assert.deepEqual(all.filter((k) => !covered.has(k)), []);
});
