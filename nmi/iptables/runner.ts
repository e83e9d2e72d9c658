// The only place that executes iptables. Injected into the manager so unit tests use a fake.
import { execFile } from "node:child_process";
import { classifySpawnError, IptablesError } from "./errors.ts";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface IptablesRunner {
  /** Runs iptables with `args`; resolves with any exit status, rejects only if it cannot start. */
  run(args: readonly string[]): Promise<RunResult>;
}

export interface ExecRunnerOptions {
  /**
   * Command to run; default ["iptables"] (whichever backend the system's alternatives chose).
   * E.g. ["iptables-legacy"] to match a legacy kube-proxy, or ["ip", "netns", "exec", "n1", "iptables"].
   */
  command?: readonly string[];
  /** Kill a stuck invocation after this long (the -w wait must fit inside). */
  timeoutMs?: number;
}

export function execIptablesRunner(opts: ExecRunnerOptions = {}): IptablesRunner {
  const [file, ...prefix] = opts.command ?? ["iptables"];
  if (file === undefined) throw new Error("execIptablesRunner: empty command");
  const timeout = opts.timeoutMs ?? 30_000;
  return {
    run(args) {
      const argv = [...prefix, ...args];
      return new Promise((resolve, reject) => {
        execFile(file, argv, { timeout, maxBuffer: 16 * 1024 * 1024, encoding: "utf8" }, (err, stdout, stderr) => {
          if (err === null) { resolve({ code: 0, stdout, stderr }); return; }
          if (typeof err.code === "number") { resolve({ code: err.code, stdout, stderr }); return; }
          if (err.killed) {
            resolve({ code: 4, stdout, stderr: `${stderr}\n(podid: killed after ${timeout} ms waiting for the xtables lock)` });
            return;
          }
          const kind = classifySpawnError(err);
          reject(new IptablesError(kind, `cannot run ${file}: ${err.message}`, argv));
        });
      });
    },
  };
}

export type IptablesBackend = "nf_tables" | "legacy" | "unknown";

/** Which backend `iptables` is (from `iptables --version`, e.g. "iptables v1.8.9 (nf_tables)"). */
export async function detectBackend(runner: IptablesRunner): Promise<{ backend: IptablesBackend; version: string }> {
  const r = await runner.run(["--version"]);
  const version = r.stdout.trim();
  if (r.code !== 0) return { backend: "unknown", version };
  if (version.includes("nf_tables")) return { backend: "nf_tables", version };
  if (version.includes("legacy") || /^iptables v1\.[0-6]\./.test(version)) return { backend: "legacy", version };
  return { backend: "unknown", version };
}
