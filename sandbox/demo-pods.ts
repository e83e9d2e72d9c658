// Runs the app of every sandbox pod that opted in (label aadpodidbinding) once the kubelet gave
// it an address: one worker thread per pod (demo-pod-app.ts) pointed at its node's NMI. Reports
// each pod's outcome changes; a deleted pod's app is stopped.
import { Worker } from "node:worker_threads";
import { POD_BINDING_LABEL } from "../core/index.ts";
import type { KubePeer } from "./peers/kube/index.ts";
import type { PodAppInput, PodAppReport } from "./demo-pod-app.ts";
import type { NodeAgents } from "./system-nmi.ts";

export const DEMO_SCOPE = "https://management.azure.com/.default";

export interface PodAppEvent {
  namespace: string;
  pod: string;
  node: string;
  report: PodAppReport;
  /** Since the app started. */
  ms: number;
}

export interface PodApps {
  /** Latest report per `namespace/pod`. */
  readonly latest: ReadonlyMap<string, PodAppEvent>;
  stop(): Promise<void>;
}

interface PodShape {
  metadata: { name: string; namespace?: string; uid?: string; labels?: Record<string, string> };
  spec?: { nodeName?: string; hostNetwork?: boolean };
  status?: { podIP?: string };
}

const TSX_API = import.meta.resolve("tsx/esm/api");
const APP = new URL("./demo-pod-app.ts", import.meta.url).href;
// Workers start from plain JS: register tsx's loader in the worker, then load the TS app.
const BOOT = `import(${JSON.stringify(TSX_API)}).then((m) => { m.register(); return import(${JSON.stringify(APP)}); })`;

export function startPodApps(o: { kube: KubePeer; nodes: NodeAgents[]; onEvent: (e: PodAppEvent) => void; intervalMs?: number; retryMs?: number }): PodApps {
  const running = new Map<string, { worker: Worker; key: string }>();
  const latest = new Map<string, PodAppEvent>();
  const nmiOf = new Map(o.nodes.map((n) => [n.node.name, n.nmiUrl]));
  let stopped = false;

  const start = (pod: PodShape, key: string, node: string, nmiUrl: string, podIp: string): void => {
    const input: PodAppInput = { podIp, scope: DEMO_SCOPE, retryMs: o.retryMs ?? 3000 };
    // Only what a pod's environment would hold: no IDENTITY_ENDPOINT of the function app.
    const env = { PATH: process.env.PATH ?? "", AZURE_POD_IDENTITY_AUTHORITY_HOST: nmiUrl };
    const worker = new Worker(BOOT, { eval: true, workerData: input, env, stdout: true, stderr: true });
    worker.stdout.resume(); // SDK chatter from inside the "pod" is not the sandbox's output
    worker.stderr.resume();
    const started = Date.now();
    const namespace = pod.metadata.namespace ?? "default";
    worker.on("message", (report: PodAppReport) => {
      const e: PodAppEvent = { namespace, pod: pod.metadata.name, node, report, ms: Date.now() - started };
      latest.set(key, e);
      if (!stopped) o.onEvent(e);
    });
    worker.on("error", (err) => {
      const e: PodAppEvent = { namespace, pod: pod.metadata.name, node, report: { kind: "error", message: `app crashed: ${err.message}` }, ms: Date.now() - started };
      latest.set(key, e);
      if (!stopped) o.onEvent(e);
    });
    running.set(key, { worker, key: pod.metadata.uid ?? key });
  };

  const tick = (): void => {
    const seen = new Set<string>();
    for (const p of o.kube.list("pods") as unknown as PodShape[]) {
      const key = `${p.metadata.namespace ?? "default"}/${p.metadata.name}`;
      if (p.metadata.labels?.[POD_BINDING_LABEL] === undefined || p.spec?.hostNetwork === true) continue;
      const node = p.spec?.nodeName;
      const nmiUrl = node === undefined ? undefined : nmiOf.get(node);
      const ip = p.status?.podIP;
      if (node === undefined || nmiUrl === undefined || ip === undefined) continue;
      seen.add(key);
      const r = running.get(key);
      if (r && r.key === (p.metadata.uid ?? key)) continue;
      if (r) void r.worker.terminate(); // same name, new pod
      start(p, key, node, nmiUrl, ip);
    }
    for (const [key, r] of running) {
      if (seen.has(key)) continue;
      running.delete(key);
      latest.delete(key);
      void r.worker.terminate();
    }
  };
  const timer = setInterval(tick, o.intervalMs ?? 200);
  tick();
  return {
    latest,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await Promise.all([...running.values()].map((r) => r.worker.terminate()));
      running.clear();
    },
  };
}
