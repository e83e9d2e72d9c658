// Wiring for CLI integration tests: `podid` run in-process against the kube-apiserver peer
// (through a kubeconfig file, as a user runs it), cluster objects shaped as the API returns
// them, and a loopback stand-in for the MIC's status API (GET /api/clusters/{c}/status with
// function-key auth) until the function app's HTTP trigger can be invoked in tests.
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MicStatus } from "../../cli/mic/status-client.ts";
import { runCli } from "../../cli/run.ts";
import { writeKubeconfig, type KubeObject, type KubePeer } from "../../sandbox/peers/kube/index.ts";

export const SUB = "00000000-0000-0000-0000-000000000001";
export const NODE_RG = `/subscriptions/${SUB}/resourceGroups/mc_rg/providers/Microsoft.Compute`;
export const vmssId = (name: string): string => `${NODE_RG}/virtualMachineScaleSets/${name}`;

export interface CliRun { code: number; stdout: string; stderr: string }

export async function runPodid(argv: string[], env: Record<string, string | undefined>): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), env });
  return { code, stdout, stderr };
}

/** A temp dir with a kubeconfig for the peer; `cleanup()` removes it. */
export function kubeconfigFor(peer: KubePeer): { dir: string; path: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), "podid-cli-"));
  const path = join(dir, "config");
  writeKubeconfig(path, peer.url);
  return { dir, path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function put(peer: KubePeer, resource: string, obj: object): KubeObject {
  return peer.put(resource, JSON.parse(JSON.stringify(obj)) as KubeObject);
}

export function nodeObject(name: string, vmss: string, instance: number): object {
  return { apiVersion: "v1", kind: "Node", metadata: { name, labels: { "kubernetes.io/hostname": name } }, spec: { providerID: `azure://${vmssId(vmss)}/virtualMachines/${instance}` } };
}

/** An NMI DaemonSet pod as infra/base/nmi renders it: hostNetwork, container `nmi`, flags. */
export function nmiPodObject(node: string, o: { name?: string; ready?: boolean; ip?: string; port?: number; mode?: "standard" | "managed" } = {}): object {
  const args = [`--operation-mode=${o.mode ?? "standard"}`, "--nmi-listen-address=127.0.0.1", `--nmi-port=${o.port ?? 2579}`];
  if (o.mode === "managed") args.push("--forceNamespaced=true");
  return {
    apiVersion: "v1", kind: "Pod",
    metadata: { name: o.name ?? `podid-nmi-${node}`, namespace: "podid-system", labels: { "app.kubernetes.io/name": "podid-nmi", "app.kubernetes.io/component": "nmi" } },
    spec: { nodeName: node, hostNetwork: true, containers: [{ name: "nmi", image: "podid-nmi:0.1.0", args, env: [{ name: "LOG_LEVEL", value: "info" }] }] },
    status: { phase: "Running", podIP: o.ip ?? "10.240.0.4", conditions: [{ type: "Ready", status: o.ready === false ? "False" : "True" }] },
  };
}

export interface MicStandin {
  url: string;
  requests: Array<{ path: string; key: string | undefined }>;
  status: Map<string, MicStatus>;
  close(): Promise<void>;
}

/** GET /api/clusters/{cluster}/status; 401 without the right x-functions-key; 404 for unknown clusters. */
export async function startMicStandin(key: string): Promise<MicStandin> {
  const status = new Map<string, MicStatus>();
  const requests: MicStandin["requests"] = [];
  const server = http.createServer((req, res) => {
    const given = req.headers["x-functions-key"];
    requests.push({ path: req.url ?? "", key: typeof given === "string" ? given : undefined });
    const m = /^\/api\/clusters\/([^/?]+)\/status$/.exec(req.url ?? "");
    if (req.method !== "GET" || !m) return void res.writeHead(404).end();
    if (given !== key) return void res.writeHead(401).end();
    const body = status.get(decodeURIComponent(m[1] ?? ""));
    if (!body) return void res.writeHead(404, { "Content-Type": "application/json" }).end(JSON.stringify({ error: "unknown cluster" }));
    res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`, requests, status,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
