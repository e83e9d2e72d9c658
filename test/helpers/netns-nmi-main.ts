// The real container entry point, `node --import tsx nmi/main.ts`, as a child process: inside a
// network namespace (`ip netns exec`, which execs in place, so signals reach NMI itself),
// optionally without CAP_NET_ADMIN/CAP_NET_RAW (setpriv), or on this machine when `ns` is
// undefined (only for runs that never get as far as iptables). Its pino JSON lines are parsed;
// stderr is kept.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";

const REPO = join(import.meta.dirname, "..", "..");
const MAIN = join(REPO, "nmi", "main.ts");

export interface NmiMainOptions {
  /** Network namespace to run in; undefined = this namespace. */
  ns?: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  /**
   * Start Node as root but without CAP_NET_ADMIN / CAP_NET_RAW (dropped from the bounding set):
   * a DaemonSet whose securityContext forgot `capabilities.add`. (Dropping to another uid
   * would also need the checkout to be readable by that uid, which a clone under /root is not.)
   */
  withoutNetAdmin?: boolean;
}

export interface LogLine { level: number; msg: string; [k: string]: unknown }

const live = new Set<NmiMainProcess>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  // A test process that dies without its `after` hooks must not leave NMI running.
  process.on("exit", () => { for (const p of live) p.killNow(); });
}

export class NmiMainProcess {
  readonly proc: ChildProcess;
  readonly logs: LogLine[] = [];
  stderr = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly waiters = new Set<() => void>();

  constructor(o: NmiMainOptions) {
    hookExit();
    const drop = o.withoutNetAdmin ? ["setpriv", "--bounding-set=-net_admin,-net_raw", "--inh-caps=-net_admin,-net_raw"] : [];
    const node = [...drop, process.execPath, "--import", "tsx", MAIN, ...o.args];
    const [file, ...args] = o.ns === undefined ? node : ["ip", "netns", "exec", o.ns, ...node];
    if (file === undefined) throw new Error("empty command");
    this.proc = spawn(file, args, { cwd: REPO, stdio: ["ignore", "pipe", "pipe"], env: o.env ?? process.env });
    live.add(this);
    this.proc.stderr?.setEncoding("utf8").on("data", (d: string) => { this.stderr = (this.stderr + d).slice(-20_000); this.wake(); });
    createInterface({ input: this.proc.stdout ?? process.stdin }).on("line", (line) => {
      try {
        const parsed = JSON.parse(line) as LogLine;
        if (typeof parsed.msg === "string") this.logs.push(parsed);
      } catch {
        this.stderr += `\n[stdout] ${line}`;
      }
      this.wake();
    });
    this.exited = new Promise((resolve) => this.proc.once("exit", (code, signal) => {
      live.delete(this);
      this.wake();
      resolve({ code, signal });
    }));
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Index of the first log line whose msg matches, or -1. */
  indexOf(msg: string | RegExp): number {
    return this.logs.findIndex((l) => (typeof msg === "string" ? l.msg === msg : msg.test(l.msg)));
  }

  /** Resolves with the first log line matching `msg`; rejects on exit or timeout. */
  waitForLog(msg: string | RegExp, timeoutMs = 30_000): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const i = this.indexOf(msg);
        const line = i === -1 ? undefined : this.logs[i];
        if (line) return done(() => resolve(line));
        if (!this.running) return done(() => reject(new Error(`nmi/main.ts exited (${String(this.proc.exitCode ?? this.proc.signalCode)}) before logging ${String(msg)}; stderr:\n${this.stderr}\nlogs:\n${this.logText()}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`no ${String(msg)} log within ${timeoutMs} ms; stderr:\n${this.stderr}\nlogs:\n${this.logText()}`))), timeoutMs);
      const done = (fn: () => void): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        fn();
      };
      this.waiters.add(check);
      check();
    });
  }

  logText(): string {
    return this.logs.map((l) => JSON.stringify(l)).join("\n").slice(-6000);
  }

  signal(sig: NodeJS.Signals): void {
    this.proc.kill(sig);
  }

  /** Waits for exit; SIGKILL after `timeoutMs`. */
  async exit(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const timer = setTimeout(() => this.killNow(), timeoutMs);
    const r = await this.exited;
    clearTimeout(timer);
    return r;
  }

  killNow(): void {
    if (this.running && this.proc.pid !== undefined) {
      try { process.kill(this.proc.pid, "SIGKILL"); } catch { /* gone */ }
    }
  }
}
