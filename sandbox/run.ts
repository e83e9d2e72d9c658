// `npm start`: runs the whole podid system locally (sandbox/system-sandbox.ts) until Ctrl-C.
// Node trusts an extra CA only when NODE_EXTRA_CA_CERTS is set at process start, and the HTTPS
// peers (ARM, Entra ID) need one; so this process makes a throwaway CA, runs the sandbox as a
// child process that trusts it, forwards signals, and removes the CA when the child is gone.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createPki, loadPki, PKI_DIR_ENV, removePki } from "./pki.ts";
import type { Sandbox } from "./system-sandbox.ts";

export interface RunOptions {
  kubePort: number;
  host: string;
  stateDir: string;
  demo: boolean;
  logLevel: string;
}

const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));
const CHILD_ENV = "PODID_SANDBOX_CHILD";
const STARTED_ENV = "PODID_SANDBOX_STARTED_AT";

const USAGE = `usage: npm start -- [--kube-port 6443] [--state-dir .sandbox] [--no-demo] [--log-level info]
  --kube-port   port of the Kubernetes API server peer (env PODID_KUBE_PORT; 0 = any free port)
  --state-dir   where kubeconfig, env, sandbox.json and sandbox.log go (env PODID_SANDBOX_DIR)
  --no-demo     start without the demo identities, bindings and pods
  --log-level   level of sandbox.log (trace, debug, info, warn, error)`;

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): RunOptions | "help" {
  const { values } = parseArgs({
    args: argv,
    options: {
      "kube-port": { type: "string" }, host: { type: "string" }, "state-dir": { type: "string" },
      "no-demo": { type: "boolean" }, "log-level": { type: "string" }, help: { type: "boolean", short: "h" },
    },
  });
  if (values.help === true) return "help";
  const rawPort = values["kube-port"] ?? env.PODID_KUBE_PORT ?? "6443";
  const kubePort = Number(rawPort);
  if (!/^\d+$/.test(rawPort) || kubePort > 65535) throw new Error(`invalid --kube-port '${rawPort}'`);
  const logLevel = values["log-level"] ?? "info";
  if (!["trace", "debug", "info", "warn", "error", "fatal", "silent"].includes(logLevel)) throw new Error(`invalid --log-level '${logLevel}'`);
  return {
    kubePort,
    host: values.host ?? "127.0.0.1",
    stateDir: values["state-dir"] ?? env.PODID_SANDBOX_DIR ?? join(REPO_ROOT, ".sandbox"),
    demo: values["no-demo"] !== true,
    logLevel,
  };
}

/** Fails fast, before anything starts, when the fixed port is taken. */
async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (err: NodeJS.ErrnoException) => {
      reject(new Error(err.code === "EADDRINUSE"
        ? `port ${port} on ${host} is already in use (another sandbox, or a local cluster?); stop it or pick another port: npm start -- --kube-port ${port + 1}`
        : `cannot listen on ${host}:${port}: ${err.message}`));
    });
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

/** A second sandbox on the same state dir would overwrite the first one's files. */
function assertNotRunning(stateDir: string): void {
  const file = join(stateDir, "sandbox.json");
  if (!existsSync(file)) return;
  let pid: unknown;
  try { pid = (JSON.parse(readFileSync(file, "utf8")) as { pid?: unknown }).pid; } catch { return; }
  if (typeof pid !== "number") return;
  try { process.kill(pid, 0); } catch { return; } // stale file of a crashed run
  throw new Error(`a sandbox is already running with state in ${stateDir} (pid ${pid}); stop it first, or use --state-dir`);
}

async function child(o: RunOptions): Promise<void> {
  // Start-up is counted from `npm start` (the launcher), not from this process.
  const started = Number(process.env[STARTED_ENV] ?? Date.now());
  let sandbox: Sandbox;
  try {
    await assertPortFree(o.host, o.kubePort);
    assertNotRunning(o.stateDir);
    const pki = loadPki(process.env[PKI_DIR_ENV] ?? "");
    // Loaded here, not at the top: the launcher process needs none of the system.
    const { startSandbox } = await import("./system-sandbox.ts");
    sandbox = await startSandbox({
      ...o, tls: { cert: pki.cert, key: pki.key }, print: (line) => console.log(line), startedAt: started,
    });
  } catch (err) {
    console.error(`sandbox: ${(err as Error).message}`);
    process.exitCode = 1;
    return;
  }
  const { sandboxGuide } = await import("./demo-guide.ts");
  console.log(sandboxGuide(sandbox, Date.now() - started));
  console.log("Progress:");
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      console.error(`sandbox: second ${signal}, exiting without finishing the clean-up`);
      process.exit(130);
    }
    stopping = true;
    console.log(`\nsandbox: ${signal}, stopping…`);
    const t = Date.now();
    sandbox.stop().then(() => {
      console.log(`sandbox: stopped in ${((Date.now() - t) / 1000).toFixed(1)} s`);
      // Everything is closed, so the process ends on its own; if it does not, say what leaked.
      setTimeout(() => {
        console.error(`sandbox: still open after stop: ${process.getActiveResourcesInfo().join(", ")}`);
        process.exit(1);
      }, 5000).unref();
    }, (err: unknown) => {
      console.error(`sandbox: stop failed: ${(err as Error).message}`);
      process.exitCode = 1;
    });
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  // The launcher is gone (killed outright): clean up rather than run on as an orphan.
  process.on("disconnect", () => { if (!stopping) shutdown("launcher exit"); });
  // The IPC channel must not keep this process alive once everything is stopped.
  process.channel?.unref();
}

async function launcher(argv: string[], o: RunOptions): Promise<void> {
  const started = Date.now();
  // Checked here too, so a taken port fails in a moment, before any CA or process is made.
  try {
    await assertPortFree(o.host, o.kubePort);
    assertNotRunning(o.stateDir);
  } catch (err) {
    console.error(`sandbox: ${(err as Error).message}`);
    process.exitCode = 1;
    return;
  }
  const pki = createPki();
  const proc = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...argv], {
    // Own process group: Ctrl-C in a terminal signals the launcher's group only, and the launcher
    // passes it on exactly once (a second SIGINT means "exit now, skip the clean-up"). The IPC
    // channel tells the child when the launcher itself is gone.
    detached: true,
    stdio: ["inherit", "inherit", "inherit", "ipc"],
    env: { ...process.env, NODE_EXTRA_CA_CERTS: pki.caCertPath, [PKI_DIR_ENV]: pki.dir, [CHILD_ENV]: "1", [STARTED_ENV]: String(started) },
  });
  // Ctrl-C or a `kill` aimed at this process is passed on; this process waits for the child's exit.
  const forward = (sig: NodeJS.Signals): void => { if (proc.exitCode === null) proc.kill(sig); };
  process.on("SIGINT", () => forward("SIGINT"));
  process.on("SIGTERM", () => forward("SIGTERM"));
  proc.on("error", (err) => {
    console.error(`sandbox: cannot start the sandbox process: ${err.message}`);
    removePki(pki);
    process.exitCode = 1;
  });
  proc.on("exit", (code, signal) => {
    removePki(pki);
    process.exitCode = code ?? (signal ? 1 : 0);
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let o: RunOptions | "help";
  try {
    o = parseOptions(argv, process.env);
  } catch (err) {
    console.error(`sandbox: ${(err as Error).message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (o === "help") { console.log(USAGE); return; }
  if (process.env[CHILD_ENV] === "1" && process.env[PKI_DIR_ENV]) await child(o);
  else await launcher(argv, o);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
