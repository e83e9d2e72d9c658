// `npm start`: runs the local podid system. At this stage it is the Kubernetes API peer alone;
// each further peer (ARM, IMDS, Entra ID, Service Bus, durable host) becomes one more
// component in COMPONENTS, started in order and stopped in reverse.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startKubePeer, writeKubeconfig } from "./peers/kube/index.ts";

export interface SandboxOptions {
  kubePort: number;
  host: string;
  /** Where kubeconfig and other state files go (default <repo>/.sandbox). */
  stateDir: string;
}

interface Running {
  name: string;
  /** Lines telling the user how to reach this component. */
  usage: string[];
  stop(): Promise<void>;
}

type Component = (o: SandboxOptions) => Promise<Running>;

const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

const kubeApiServer: Component = async (o) => {
  const peer = await startKubePeer({ port: o.kubePort, host: o.host });
  const kubeconfig = join(o.stateDir, "kubeconfig");
  writeKubeconfig(kubeconfig, peer.url);
  return {
    name: `kube-apiserver ${peer.url}`,
    usage: [`export KUBECONFIG=${kubeconfig}`, "kubectl get azureidentities -A", "kubectl api-resources --api-group=aadpodidentity.k8s.io"],
    async stop() {
      await peer.close();
      rmSync(kubeconfig, { force: true });
    },
  };
};

const COMPONENTS: Component[] = [kubeApiServer];

export interface Sandbox { running: Running[]; stop(): Promise<void> }

export async function startSandbox(o: SandboxOptions): Promise<Sandbox> {
  mkdirSync(o.stateDir, { recursive: true });
  const running: Running[] = [];
  const stop = async (): Promise<void> => {
    for (const r of running.splice(0).reverse()) await r.stop();
  };
  try {
    for (const c of COMPONENTS) running.push(await c(o));
  } catch (err) {
    await stop();
    throw err;
  }
  return { running, stop };
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): SandboxOptions {
  const { values } = parseArgs({
    args: argv,
    options: { "kube-port": { type: "string" }, host: { type: "string" }, "state-dir": { type: "string" } },
  });
  const rawPort = values["kube-port"] ?? env.PODID_KUBE_PORT ?? "6443";
  const kubePort = Number(rawPort);
  if (!Number.isInteger(kubePort) || kubePort < 0 || kubePort > 65535) throw new Error(`invalid --kube-port '${rawPort}'`);
  return {
    kubePort,
    host: values.host ?? "127.0.0.1",
    stateDir: values["state-dir"] ?? env.PODID_SANDBOX_DIR ?? join(REPO_ROOT, ".sandbox"),
  };
}

async function main(): Promise<void> {
  let sandbox: Sandbox;
  try {
    sandbox = await startSandbox(parseOptions(process.argv.slice(2), process.env));
  } catch (err) {
    console.error(`sandbox: ${(err as Error).message}`);
    process.exitCode = 1;
    return;
  }
  console.log("podid sandbox running:");
  for (const r of sandbox.running) console.log(`  ${r.name}`);
  console.log("\nTry:");
  for (const line of sandbox.running.flatMap((r) => r.usage)) console.log(`  ${line}`);
  console.log("\nCtrl-C stops everything.");
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`\nsandbox: ${signal}, stopping`);
    sandbox.stop().then(() => process.exit(0), (err: unknown) => {
      console.error(`sandbox: stop failed: ${(err as Error).message}`);
      process.exit(1);
    });
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
