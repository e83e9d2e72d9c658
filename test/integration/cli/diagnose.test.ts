// `podid diagnose` against the kube-apiserver peer (through a kubeconfig file), a fake NMI pod
// whose log the peer serves, and the MIC status stand-in: one seeded pod per verdict.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { pino } from "pino";
import { startKubePeer, type KubePeer } from "../../../sandbox/peers/kube/index.ts";
import { kubeconfigFor, nmiPodObject, nodeObject, put, runPodid, startMicStandin, vmssId, type MicStandin } from "../../helpers/cli-harness.ts";
import { assigned, binding, exception, identity, pod, uaiId } from "../../helpers/nmi-fixtures.ts";

let peer: KubePeer;
let mic: MicStandin;
let kube: { path: string; cleanup(): void };
let env: Record<string, string>;
const LINKED = "LinkedAuthorizationFailed: The client 'mic-client' with object id 'mic-oid' has permission to perform action 'Microsoft.Compute/virtualMachineScaleSets/write' on scope 'x'; however, it does not have permission to perform action 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action' on the linked scope(s) 'y' or the linked scope(s) are invalid.";

/** NMI's request log lines (same fields as nmi/pipeline/runtime.ts writes). */
function nmiLog(): string {
  const lines: string[] = [];
  const log = pino({}, { write: (l: string) => void lines.push(l) }).child({ component: "nmi", node: "node-a" });
  const req = (p: string, ns: string, fields: Record<string, unknown>): void =>
    log.child({ reqId: "r", remote: "10.244.0.9", op: "token" }).child({ pod: p, namespace: ns }).info(fields, "request");
  req("web-1", "default", { status: 200, outcome: "token", reason: "assigned:cache-miss", durationMs: 20 });
  req("other-1", "default", { status: 403, outcome: "denied", reason: "nothing-bound", code: "PODID_NMI_NO_IDENTITY_BOUND", durationMs: 0 });
  req("failed-1", "default", { status: 403, outcome: "denied", reason: "assignment-failed", code: "PODID_NMI_ASSIGNMENT_FAILED", durationMs: 0 });
  req("web-1", "default", { status: 200, outcome: "token", reason: "assigned:cache-hit", durationMs: 1 });
  return lines.join("");
}

before(async () => {
  peer = await startKubePeer();
  mic = await startMicStandin("fn-key");
  kube = kubeconfigFor(peer);
  env = { KUBECONFIG: kube.path, HOME: kube.path };
  peer.ensureNamespace("podid-system");
  put(peer, "nodes", nodeObject("node-a", "vmss-a", 0));
  put(peer, "nodes", nodeObject("node-b", "vmss-b", 0));
  put(peer, "pods", nmiPodObject("node-a", { name: "podid-nmi-aaaaa" }));
  put(peer, "pods", nmiPodObject("node-b", { name: "podid-nmi-bbbbb" }));
  // A pod of another app with the same label on node-a must not be taken for NMI.
  put(peer, "pods", { ...pod("decoy", { namespace: "podid-system", node: "node-a", labels: { app: "other" } }) });
  peer.setPodLog("podid-system", "podid-nmi-aaaaa", nmiLog());

  const web = identity("web-id");
  const bad = identity("bad-id", { resourceID: uaiId("bad-id", "rg-locked") });
  const slow = identity("slow-id");
  for (const i of [web, bad, slow]) put(peer, "azureidentities", i);
  put(peer, "azureidentitybindings", binding("web-binding", "web-id", "web"));
  put(peer, "azureidentitybindings", binding("bad-binding", "bad-id", "bad"));
  put(peer, "azureidentitybindings", binding("slow-binding", "slow-id", "slow"));
  put(peer, "azurepodidentityexceptions", exception("mic-exception", { app: "mic" }));

  const webPod = pod("web-1", { ip: "10.244.0.5", label: "web" });
  const failedPod = pod("failed-1", { ip: "10.244.0.6", label: "bad" });
  const slowPod = pod("slow-1", { ip: "10.244.1.7", label: "slow", node: "node-b" });
  for (const p of [webPod, failedPod, slowPod, pod("nobind-1", { label: "nope" }), pod("excepted-1", { labels: { app: "MIC" } })]) put(peer, "pods", p);
  put(peer, "azureassignedidentities", assigned(webPod, web, { status: "Assigned" }));
  put(peer, "azureassignedidentities", assigned(failedPod, bad, { status: "Failed", message: LINKED }));
  put(peer, "azureassignedidentities", assigned(slowPod, slow, { status: "Created" }));
  mic.status.set("c1", {
    cluster: "c1",
    hosts: [
      { hostId: vmssId("vmss-a"), desired: [uaiId("web-id")], actual: [uaiId("web-id")], generation: 3, reconciledGeneration: 3, pending: null, lastError: null },
      { hostId: vmssId("vmss-b").toLowerCase(), desired: [uaiId("slow-id")], actual: [], generation: 5, reconciledGeneration: 4,
        pending: { adds: [uaiId("slow-id")], removes: [], skipped: [] }, lastError: null },
    ],
  });
});

after(async () => {
  await Promise.all([peer.close(), mic.close()]);
  kube.cleanup();
});

const withMic = (): Record<string, string> => ({ ...env, PODID_MIC_URL: mic.url, PODID_CLUSTER: "c1", PODID_MIC_KEY: "fn-key" });
const verdictLine = (stdout: string): string => /^Verdict: (.*)$/m.exec(stdout)?.[1] ?? "";

test("healthy pod: node, NMI, binding, Assigned, MIC host, only its own NMI log lines; exit 0", async () => {
  const r = await runPodid(["diagnose", "web-1"], withMic());
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(verdictLine(r.stdout), 'healthy: identity "web-id" is Assigned on vmss-a');
  assert.match(r.stdout, /^Node\s+node-a$/m);
  assert.match(r.stdout, /^IP\s+10\.244\.0\.5$/m);
  assert.match(r.stdout, /^NMI\s+podid-system\/podid-nmi-aaaaa \(Running, ready\)$/m);
  assert.match(r.stdout, /default\/web-binding\s+default\/web-id\s+MSI\s+web-##### REDACTED #####0000\s+selected/);
  assert.match(r.stdout, /default\/web-1-default-web-id\s+default\/web-id\s+node-a\s+Assigned/);
  assert.match(r.stdout, /^ {2}Host\s+\/subscriptions\/.*\/virtualMachineScaleSets\/vmss-a$/m);
  assert.match(r.stdout, /NMI log \(podid-nmi-aaaaa; 2 line\(s\) about this pod among 4 read\)/);
  assert.match(r.stdout, /200\s+token\s+-\s+assigned:cache-hit/);
  assert.doesNotMatch(r.stdout, /PODID_NMI_NO_IDENTITY_BOUND|PODID_NMI_ASSIGNMENT_FAILED/);
  assert.ok(!r.stdout.includes("web-id-client-0000-0000-000000000000"), "client ids are redacted");
  assert.deepEqual(mic.requests.at(-1), { path: "/api/clusters/c1/status", key: "fn-key" });
  const logRead = peer.requests.find((q) => q.path.endsWith("/pods/podid-nmi-aaaaa/log"));
  assert.ok(logRead);
  assert.match(logRead.query, /tailLines=1000/);
  assert.match(logRead.query, /container=nmi/);
});

test("pod with no binding for its label: verdict lists the selectors that exist; exit 1", async () => {
  const r = await runPodid(["diagnose", "nobind-1", "-n", "default"], env);
  assert.equal(r.code, 1);
  assert.equal(verdictLine(r.stdout),
    'no AzureIdentityBinding selects label aadpodidbinding=nope (bindings with selectors: bad, slow, web) — create a binding with selector "nope" or change the pod\'s label');
  assert.match(r.stdout, /^MIC: skipped \(no --mic-url/m);
});

test("identity Failed with LinkedAuthorizationFailed: grant Managed Identity Operator on the identity to the MIC", async () => {
  const r = await runPodid(["diagnose", "failed-1"], withMic());
  assert.equal(r.code, 1);
  assert.equal(verdictLine(r.stdout),
    `identity "bad-id" is Failed: LinkedAuthorizationFailed — grant Managed Identity Operator on ${uaiId("bad-id", "rg-locked")} to the MIC's identity (object id mic-oid)`);
  assert.match(r.stdout, /403\s+denied\s+PODID_NMI_ASSIGNMENT_FAILED/);
});

test("excepted pod: gets node identities directly (label value compared case-insensitively); exit 0", async () => {
  const r = await runPodid(["diagnose", "excepted-1"], env);
  assert.equal(r.code, 0);
  assert.equal(verdictLine(r.stdout), "pod is excepted by AzurePodIdentityException default/mic-exception (app=mic): it gets node identities directly");
});

test("Created (pending) pod: the MIC's view of its host says what is pending", async () => {
  const r = await runPodid(["diagnose", "slow-1"], withMic());
  assert.equal(r.code, 1);
  assert.match(verdictLine(r.stdout),
    /^identity "slow-id" is Created: the MIC has not assigned it yet \(host vmss-b: pending add of this identity; reconcile pending \(generation 5, reconciled 4\)\) — wait/);
  assert.match(r.stdout, /^NMI\s+podid-system\/podid-nmi-bbbbb/m);
  assert.match(r.stdout, /NMI log \(podid-nmi-bbbbb; 0 line\(s\)/);
});

test("MIC refusing the key: diagnosis still runs and says the MIC view is unavailable", async () => {
  const r = await runPodid(["diagnose", "slow-1"], { ...withMic(), PODID_MIC_KEY: "wrong" });
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^MIC: unavailable: the MIC status API refused the request \(401\)$/m);
  assert.match(verdictLine(r.stdout), /MIC view unavailable/);
});

test("-o json: facts and verdict for scripts", async () => {
  const r = await runPodid(["diagnose", "failed-1", "-o", "json"], withMic());
  assert.equal(r.code, 1);
  const out = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.deepEqual(Object.keys(out).sort(), ["assignments", "bindings", "exceptions", "forceNamespaced", "mic", "mode", "nmi", "nmiLogs", "node", "pod", "verdict"]);
  const v = out.verdict as { kind: string; exitCode: number; summary: string; next: string; line: string };
  assert.deepEqual([v.kind, v.exitCode, v.summary], ["assignment-failed", 1, 'identity "bad-id" is Failed: LinkedAuthorizationFailed']);
  assert.equal(v.line, `${v.summary} — ${v.next}`);
  assert.deepEqual(out.pod, { namespace: "default", name: "failed-1", phase: "Running", node: "node-a", ip: "10.244.0.6", hostNetwork: false, terminating: false, selector: "bad" });
  assert.deepEqual((out.node as { host: unknown }).host, { id: vmssId("vmss-a"), kind: "vmss", name: "vmss-a" });
  assert.deepEqual((out.assignments as Array<{ status: string; message: string }>).map((a) => [a.status, a.message.split(":")[0]]), [["Failed", "LinkedAuthorizationFailed"]]);
  assert.equal((out.nmi as { state: string; pod: { mode: string; tokenPort: number } }).pod.mode, "standard");
  assert.equal((out.mic as { state: string; host: { hostId: string } }).host.hostId, vmssId("vmss-a"));
  assert.deepEqual((out.nmiLogs as { lines: Array<{ code: string }> }).lines.map((l) => l.code), ["PODID_NMI_ASSIGNMENT_FAILED"]);
});

test("unknown pod → exit 2 with a message and a hint", async () => {
  const r = await runPodid(["diagnose", "ghost", "-n", "shop"], env);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /^error: pod "ghost" not found in namespace "shop"\nhint: kubectl get pods -n shop\n$/);
});

test("hostNetwork pod and a node without NMI are called out", async () => {
  put(peer, "pods", pod("hostnet-1", { label: "web", hostNetwork: true, ip: "10.240.0.4" }));
  const a = await runPodid(["diagnose", "hostnet-1"], env);
  assert.equal(a.code, 1);
  assert.match(verdictLine(a.stdout), /^pod uses hostNetwork: NMI never intercepts it/);
  put(peer, "nodes", nodeObject("node-c", "vmss-c", 0));
  put(peer, "pods", pod("lonely-1", { label: "web", node: "node-c" }));
  const b = await runPodid(["diagnose", "lonely-1"], env);
  assert.equal(b.code, 1);
  assert.match(verdictLine(b.stdout), /^no NMI pod on node node-c \(namespace podid-system, selector app\.kubernetes\.io\/name=podid-nmi\)/);
});
