// `npm start` as a user runs it: the sandbox in a child process (free ports, its own state dir),
// a pod added through the API server, a token for it through its node's NMI with the real
// @azure/identity ManagedIdentityCredential, `podid diagnose` (a child process, as typed in a
// shell) on a healthy pod and on the demo's two failures, then Ctrl-C: exit 0, every port
// closed, every state file removed, no process of the sandbox's tree left running.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ManagedIdentityCredential } from "@azure/identity";
import { CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { CRD_GROUP, CRD_VERSION, PLURALS } from "../../core/index.ts";
import { decodeTestToken } from "../../sandbox/peers/imds/index.ts";
import type { SandboxInfo } from "../../sandbox/system-sandbox.ts";
import { podHttpClient } from "../helpers/pod-http-client.ts";
import { eventually } from "../helpers/system.ts";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const stateDir = join(mkdtempSync(join(tmpdir(), "podid-sandbox-e2e-")), "state");
let sandbox: ChildProcess;
let output = "";
let info: SandboxInfo;
let kc: KubeConfig;

function exited(p: ChildProcess): Promise<number | null> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve(p.exitCode);
  return new Promise((resolve) => p.once("exit", (code) => resolve(code)));
}

/** pid → parent pid for every process (Linux /proc). */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      out.set(Number(d), ppid);
    } catch { /* exited meanwhile */ }
  }
  return out;
}

function descendants(root: number): number[] {
  const ppid = parents();
  const found: number[] = [];
  const walk = (p: number): void => {
    for (const [pid, parent] of ppid) if (parent === p) { found.push(pid); walk(pid); }
  };
  walk(root);
  return found;
}

const alive = (pid: number): boolean => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
const cmdline = (pid: number): string => { try { return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " "); } catch { return ""; } };

function portOpen(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = connect(Number(port), hostname);
    s.once("connect", () => { s.destroy(); resolve(true); });
    s.once("error", () => resolve(false));
  });
}

interface CliRun { code: number | null; stdout: string; stderr: string }

function podid(args: string[]): Promise<CliRun> {
  const env = { ...process.env, KUBECONFIG: info.kubeconfig, PODID_MIC_URL: info.mic.url, PODID_MIC_KEY: info.mic.key, PODID_CLUSTER: info.cluster };
  const p = spawn(process.execPath, ["--import", "tsx", "cli/main.ts", ...args], { cwd: REPO, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return exited(p).then((code) => ({ code, stdout, stderr }));
}

before(async () => {
  sandbox = spawn(process.execPath, ["--import", "tsx", "sandbox/run.ts", "--kube-port", "0", "--state-dir", stateDir], {
    // Its own process group, like a shell job: Ctrl-C below signals the whole group, as a terminal does.
    cwd: REPO, env: { ...process.env }, stdio: ["ignore", "pipe", "pipe"], detached: true,
  });
  sandbox.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  sandbox.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  await eventually("the sandbox prints its guide", () => {
    if (sandbox.exitCode !== null) throw new Error(`sandbox exited with ${sandbox.exitCode}:\n${output}`);
    return output.includes("Progress:") && existsSync(join(stateDir, "sandbox.json"));
  }, 40_000);
  info = JSON.parse(readFileSync(join(stateDir, "sandbox.json"), "utf8")) as SandboxInfo;
  kc = new KubeConfig();
  kc.loadFromFile(info.kubeconfig);
});

after(async () => {
  if (sandbox.exitCode === null && sandbox.signalCode === null) {
    sandbox.kill("SIGTERM");
    await exited(sandbox);
  }
  rmSync(join(stateDir, ".."), { recursive: true, force: true });
});

test("the guide names the state files, three nodes and how to run the CLI; the MIC API wants its key", async () => {
  assert.equal(info.nodes.length, 3);
  assert.equal(new Set(info.nodes.map((n) => n.providerId.split("/virtualMachines/")[0])).size, 2, "two scale sets");
  assert.match(output, /source .*env/);
  assert.match(output, /npm run -s podid -- diagnose reports-0/);
  assert.match(readFileSync(join(stateDir, "env"), "utf8"), /export KUBECONFIG=.*\nexport PODID_MIC_URL=http:\/\/127\.0\.0\.1:\d+\nexport PODID_MIC_KEY=\S+\nexport PODID_CLUSTER=sandbox/);
  const statusUrl = `${info.mic.url}/api/clusters/${info.cluster}/status`;
  assert.equal((await fetch(statusUrl)).status, 401, "function-level auth without a key");
  // 404 until the MIC ingested the forwarder's first snapshot.
  let body: { cluster?: string; hosts?: Array<{ hostId: string }> } = {};
  await eventually("the MIC status API knows the cluster", async () => {
    const res = await fetch(statusUrl, { headers: { "x-functions-key": info.mic.key } });
    assert.ok(res.status === 200 || res.status === 404, `status ${res.status}`);
    body = await res.json() as typeof body;
    return res.status === 200;
  });
  assert.equal(body.cluster, "sandbox");
  assert.equal(body.hosts?.length, 2, "one record per scale set");
});

test("a pod added with a binding gets its token through its node's NMI (ManagedIdentityCredential)", async () => {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedPod({
    namespace: "default",
    body: { metadata: { name: "e2e-api", labels: { aadpodidbinding: "api" } }, spec: { containers: [{ name: "app", image: "app:1" }] } },
  });
  let pod = await core.readNamespacedPod({ name: "e2e-api", namespace: "default" });
  await eventually("the pod is scheduled and has an address", async () => {
    pod = await core.readNamespacedPod({ name: "e2e-api", namespace: "default" });
    return pod.status?.podIP !== undefined;
  });
  const node = info.nodes.find((n) => n.name === pod.spec?.nodeName);
  assert.ok(node, `pod on a sandbox node (${pod.spec?.nodeName ?? "none"})`);
  const co = kc.makeApiClient(CustomObjectsApi);
  const identity = await co.getNamespacedCustomObject({ group: CRD_GROUP, version: CRD_VERSION, namespace: "default", plural: PLURALS.AzureIdentity, name: "api-identity" }) as { spec: { clientID: string } };
  // What the app in that pod does: the SDK's IMDS source, pointed at the node's NMI.
  process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = node.nmiUrl;
  try {
    const credential = new ManagedIdentityCredential({ httpClient: podHttpClient(pod.status?.podIP ?? "") });
    let token: string | undefined;
    await eventually("a token for the pod", async () => {
      token = (await credential.getToken("https://management.azure.com/.default").catch(() => undefined))?.token;
      return token !== undefined;
    }, 40_000);
    const claims = decodeTestToken(token ?? "");
    assert.equal(claims.appid, identity.spec.clientID, "the token is for the identity bound to the pod");
    assert.equal(claims.aud, "https://management.azure.com");
  } finally {
    delete process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST;
  }
});

test("podid diagnose: healthy, no binding, identity refused by ARM", async () => {
  const co = kc.makeApiClient(CustomObjectsApi);
  const status = async (name: string): Promise<string | undefined> => {
    const o = await co.getNamespacedCustomObject({ group: CRD_GROUP, version: CRD_VERSION, namespace: "default", plural: PLURALS.AzureAssignedIdentity, name })
      .catch(() => undefined) as { status?: { status?: string } } | undefined;
    return o?.status?.status;
  };
  await eventually("the refused identity is Failed", async () => (await status("reports-0-default-reports-identity")) === "Failed", 30_000);
  const [healthy, unbound, refused, healthyTable] = await Promise.all([
    podid(["diagnose", "e2e-api", "-o", "json"]),
    podid(["diagnose", "batch-0", "-o", "json"]),
    podid(["diagnose", "reports-0", "-o", "json"]),
    podid(["diagnose", "reports-0"]),
  ]);
  const verdict = (r: CliRun): { kind: string; line: string } => (JSON.parse(r.stdout) as { verdict: { kind: string; line: string } }).verdict;
  assert.equal(healthy.code, 0, healthy.stderr);
  assert.equal(verdict(healthy).kind, "healthy");
  assert.equal(unbound.code, 1, unbound.stderr);
  assert.equal(verdict(unbound).kind, "no-binding");
  assert.match(verdict(unbound).line, /aadpodidbinding=batch/);
  assert.equal(refused.code, 1, refused.stderr);
  assert.equal(verdict(refused).kind, "assignment-failed");
  assert.match(verdict(refused).line, /LinkedAuthorizationFailed — grant Managed Identity Operator on \/subscriptions\/.*\/reports-identity/);
  // The table a user reads ends with the same verdict, and shows the MIC's view (status API reached).
  assert.equal(healthyTable.code, 1);
  assert.match(healthyTable.stdout, /^MIC:\n {2}Host +\/subscriptions\//m);
  assert.match(healthyTable.stdout, /Verdict: identity "reports-identity" is Failed: LinkedAuthorizationFailed/);
});

test("Ctrl-C stops everything: exit 0, ports closed, files removed, no process left", async () => {
  const tree = descendants(sandbox.pid ?? -1);
  assert.ok(tree.some((pid) => cmdline(pid).includes("azurite")), "Azurite runs in the sandbox's process tree");
  const urls = [info.kubeUrl, info.mic.url, ...info.nodes.flatMap((n) => [n.nmiUrl, n.imdsUrl])];
  assert.ok((await Promise.all(urls.map(portOpen))).every(Boolean), "every endpoint answers before Ctrl-C");
  // A terminal's Ctrl-C reaches every process of the foreground group, not just the first one.
  process.kill(-(sandbox.pid ?? 0), "SIGINT");
  const code = await Promise.race([exited(sandbox), new Promise<string>((r) => setTimeout(() => r("timeout"), 20_000).unref())]);
  assert.equal(code, 0, `exit code (output:\n${output.slice(-2000)})`);
  assert.match(output, /sandbox: stopped in/);
  assert.deepEqual((await Promise.all(urls.map(portOpen))).map((open, i) => (open ? urls[i] : "")).filter(Boolean), [], "ports still open");
  assert.equal(existsSync(stateDir), false, "state dir removed");
  await eventually("every process of the sandbox's tree is gone", () => tree.every((pid) => !alive(pid)), 5000);
});
