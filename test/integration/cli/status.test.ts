// `podid status` against the kube peer and the MIC status stand-in.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startKubePeer, type KubePeer } from "../../../sandbox/peers/kube/index.ts";
import { kubeconfigFor, nodeObject, put, runPodid, startMicStandin, vmssId, type MicStandin } from "../../helpers/cli-harness.ts";
import { assigned, identity, pod, uaiId } from "../../helpers/nmi-fixtures.ts";

let peer: KubePeer;
let mic: MicStandin;
let kube: { path: string; cleanup(): void };
let env: Record<string, string>;

before(async () => {
  peer = await startKubePeer();
  mic = await startMicStandin("fn-key");
  kube = kubeconfigFor(peer);
  env = { KUBECONFIG: kube.path };
  put(peer, "nodes", nodeObject("node-a0", "vmss-a", 0));
  put(peer, "nodes", nodeObject("node-a1", "vmss-a", 1));
  put(peer, "nodes", nodeObject("node-b0", "vmss-b", 0));
  const id = identity("web-id");
  put(peer, "azureassignedidentities", assigned(pod("w1", { node: "node-a0" }), id, { status: "Assigned" }));
  put(peer, "azureassignedidentities", assigned(pod("w2", { node: "node-a1" }), id, { status: "Created" }));
  mic.status.set("prod", {
    cluster: "prod",
    hosts: [
      { hostId: vmssId("vmss-a"), desired: [uaiId("web-id")], actual: [uaiId("web-id")], generation: 9, reconciledGeneration: 9, pending: null, lastError: null, lastReconciledAt: "2024-05-01T10:00:00Z" },
      { hostId: vmssId("vmss-b"), desired: [uaiId("bad-id")], actual: [], generation: 2, reconciledGeneration: 2,
        pending: { adds: [], removes: [], skipped: [{ id: uaiId("bad-id"), reason: "identity-outside-allowed-scopes" }] },
        lastError: { code: "LinkedAuthorizationFailed", message: "missing assign permission", at: "2024-05-01T10:00:00Z" } },
    ],
  });
});

after(async () => {
  await Promise.all([peer.close(), mic.close()]);
  kube.cleanup();
});

const micEnv = (): Record<string, string> => ({ ...env, PODID_MIC_KEY: "fn-key" });

test("per host: desired vs assigned, pending, last error, AAI counts; exit 1 when a host has an error", async () => {
  const r = await runPodid(["status", "--mic-url", mic.url, "--cluster", "prod"], micEnv());
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^MIC view: cluster "prod"$/m);
  assert.match(r.stdout, /^vmss-a\s+2\s+1\s+1\s+none\s+1\/1\/0\/0\s+2024-05-01T10:00:00Z\s+-$/m);
  assert.match(r.stdout, /^vmss-b\s+1\s+1\s+0\s+1 skipped\s+0\/0\/0\/0\s+-\s+LinkedAuthorizationFailed: missing assign permission$/m);
  assert.match(r.stdout, /^node-a1\s+vmss-a\s+0\/1\/0\/0$/m);
  assert.match(r.stdout, /Problems:\n {2}host vmss-b: last error LinkedAuthorizationFailed: missing assign permission/);
  assert.deepEqual(mic.requests.at(-1), { path: "/api/clusters/prod/status", key: "fn-key" });
});

test("-o json: hosts, nodes, problems", async () => {
  const r = await runPodid(["status", "-o", "json", "--mic-url", `${mic.url}/`, "--cluster", "prod"], micEnv());
  assert.equal(r.code, 1);
  const out = JSON.parse(r.stdout) as { mic: unknown; hosts: Array<{ name: string; desired: number; assigned: number; assignments: unknown; lastError?: { code: string } }>; nodes: unknown[]; problems: string[] };
  assert.deepEqual(out.mic, { state: "ok", cluster: "prod" });
  assert.deepEqual(out.hosts.map((h) => [h.name, h.desired, h.assigned, h.lastError?.code]), [["vmss-a", 1, 1, undefined], ["vmss-b", 1, 0, "LinkedAuthorizationFailed"]]);
  assert.equal(out.nodes.length, 3);
  assert.equal(out.problems.length, 1);
});

test("without a MIC URL: the cluster's view only, exit 0 when nothing Failed", async () => {
  const r = await runPodid(["status"], env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /MIC view: skipped \(no --mic-url \(or PODID_MIC_URL\) given\)/);
  assert.match(r.stdout, /^vmss-a\s+2\s+-\s+-\s+-\s+1\/1\/0\/0/m);
});

test("MIC errors are connection errors for status: wrong key, unknown cluster, nothing listening", async () => {
  const key = await runPodid(["status", "--mic-url", mic.url, "--cluster", "prod", "--mic-key", "wrong"], env);
  assert.equal(key.code, 2);
  assert.equal(key.stderr, "error: the MIC status API refused the request (401)\nhint: pass the function key with --mic-key or PODID_MIC_KEY\n");
  const cluster = await runPodid(["status", "--mic-url", mic.url, "--cluster", "staging"], micEnv());
  assert.equal(cluster.code, 2);
  assert.match(cluster.stderr, /no cluster "staging" \(404\)/);
  const down = await runPodid(["status", "--mic-url", "http://127.0.0.1:1", "--cluster", "prod"], env);
  assert.equal(down.code, 2);
  assert.match(down.stderr, /^error: cannot reach the MIC status API at http:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/);
});
