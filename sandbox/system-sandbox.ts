// What `npm start` runs inside its process: the whole system (startSystem with a simulated
// cluster and the MIC's HTTP routes), the demo, the pods' apps, live progress, and the files a
// user's shell and the CLI need (.sandbox/kubeconfig, env, sandbox.json). stop() undoes all of
// it: every server closed, every worker and child process gone, every file removed.
import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import type { Logger } from "pino";
import { seedDemo } from "./demo.ts";
import type { Demo } from "./demo.ts";
import { startPodApps } from "./demo-pods.ts";
import type { PodApps } from "./demo-pods.ts";
import { startProgress } from "./demo-progress.ts";
import type { Progress } from "./demo-progress.ts";
import { startSystem } from "./system.ts";
import type { System } from "./system.ts";
import { DEFAULT_SCALE_SETS } from "./system-nodes.ts";

export interface SandboxOptions {
  kubePort: number;
  host: string;
  /** Where kubeconfig and the other state files go (default <repo>/.sandbox). */
  stateDir: string;
  /** Seed the demo identities, bindings and pods. */
  demo: boolean;
  /** Certificate for the HTTPS peers; its CA must already be trusted (NODE_EXTRA_CA_CERTS). */
  tls: { cert: string; key: string };
  /** Progress lines go here. */
  print: (line: string) => void;
  logLevel: string;
  /** When `npm start` began (progress times count from here). Default: now. */
  startedAt?: number;
}

/** Machine-readable description of a running sandbox (.sandbox/sandbox.json). */
export interface SandboxInfo {
  pid: number;
  cluster: string;
  kubeconfig: string;
  kubeUrl: string;
  mic: { url: string; key: string };
  nodes: Array<{ name: string; providerId: string; nmiPod: string; nmiUrl: string; imdsUrl: string; podRange: string }>;
  logFile: string;
}

export interface Sandbox {
  system: System;
  info: SandboxInfo;
  demo: Demo | undefined;
  files: { kubeconfig: string; env: string; json: string; log: string };
  podApps: PodApps;
  stop(): Promise<void>;
}

export const SANDBOX_CLUSTER = "sandbox";

export async function startSandbox(o: SandboxOptions): Promise<Sandbox> {
  const createdDir = !existsSync(o.stateDir);
  mkdirSync(o.stateDir, { recursive: true });
  const files = { kubeconfig: join(o.stateDir, "kubeconfig"), env: join(o.stateDir, "env"), json: join(o.stateDir, "sandbox.json"), log: join(o.stateDir, "sandbox.log") };
  const dest = pino.destination({ dest: files.log, sync: true });
  const logger: Logger = pino({ level: o.logLevel }, dest);
  const removeFiles = (): void => {
    for (const f of Object.values(files)) rmSync(f, { force: true });
    if (createdDir || (existsSync(o.stateDir) && readdirSync(o.stateDir).length === 0)) {
      try { rmdirSync(o.stateDir); } catch { /* not empty: someone else's files */ }
    }
  };
  const t0 = o.startedAt ?? Date.now();
  let system: System;
  try {
    system = await startSystem({
      cluster: SANDBOX_CLUSTER, host: o.host, tls: o.tls, stateDir: o.stateDir, logger,
      ports: { kube: o.kubePort }, scaleSets: DEFAULT_SCALE_SETS, httpApi: {},
      nmiLogger: logger.child({ component: "nmi" }),
      // The sandbox's "ARM" finishes a scale-set update in half a second (Azure: 40–60 s).
      armOperationDurationMs: 500,
      mic: { timerIntervalMs: 60_000 },
    });
  } catch (err) {
    dest.flushSync();
    removeFiles();
    throw err;
  }
  const http = system.functionsHttp;
  if (!http) throw new Error("internal: the function app's HTTP routes did not start");
  const info: SandboxInfo = {
    pid: process.pid,
    cluster: system.cluster,
    kubeconfig: files.kubeconfig,
    kubeUrl: system.peers.kube.url,
    mic: { url: http.url, key: http.key },
    nodes: system.nodes.map((n) => ({
      name: n.node.name, providerId: n.node.providerId, nmiPod: n.nmiPod, nmiUrl: n.nmiUrl, imdsUrl: n.imds.url, podRange: `127.10.${n.node.index}.0/24`,
    })),
    logFile: files.log,
  };
  writeFileSync(files.json, `${JSON.stringify(info, null, 2)}\n`);
  writeFileSync(files.env, [
    "# podid sandbox: `source` this file to point kubectl and podid at the running sandbox",
    `export KUBECONFIG=${shellQuote(files.kubeconfig)}`,
    `export PODID_MIC_URL=${shellQuote(http.url)}`,
    `export PODID_MIC_KEY=${shellQuote(http.key)}`,
    `export PODID_CLUSTER=${shellQuote(system.cluster)}`,
    "",
  ].join("\n"));

  const demo = o.demo ? seedDemo(system) : undefined;
  const names = new Map((demo?.identities ?? []).map((i) => [i.clientId.toLowerCase(), i.name]));
  const progress: Progress = startProgress({ kube: system.peers.kube, print: o.print, since: t0, identityName: (c) => names.get(c.toLowerCase()) });
  const podApps = startPodApps({ kube: system.peers.kube, nodes: system.nodes, onEvent: (e) => progress.podEvent(e) });

  let stopping: Promise<void> | undefined;
  return {
    system, info, demo, files, podApps,
    stop() {
      stopping ??= (async () => {
        progress.stop();
        await podApps.stop();
        await system.stop();
        dest.flushSync();
        removeFiles();
      })();
      return stopping;
    },
  };
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`;
}
