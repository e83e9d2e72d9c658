// A child process that speaks JSON lines: it prints {"type":"ready",...} once, then answers
// each stdin line {"id","op",...} with {"id","ok","result"|"error"}. Closing stdin asks it to
// clean up and exit, so an orphaned child stops as soon as its parent dies.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

export interface SpawnOptions {
  args?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Max wait for the ready line. */
  readyTimeoutMs?: number;
}

interface Reply { id: number; ok: boolean; result?: unknown; error?: string }

export class JsonLinesChild {
  readonly proc: ChildProcess;
  readonly ready: Promise<Record<string, unknown>>;
  readonly exited: Promise<number | null>;
  private stderrTail = "";
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(file: string, args: readonly string[], opts: SpawnOptions = {}) {
    this.proc = spawn(file, args, { stdio: ["pipe", "pipe", "pipe"], env: opts.env ?? process.env });
    this.proc.stderr?.setEncoding("utf8").on("data", (d: string) => { this.stderrTail = (this.stderrTail + d).slice(-4000); });
    this.exited = new Promise((resolve) => this.proc.once("exit", (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`child exited (${code}) before replying; stderr:\n${this.stderrTail}`));
      this.waiting.clear();
      resolve(code);
    }));
    let onReady: (v: Record<string, unknown>) => void = () => undefined;
    let onReadyFail: (e: Error) => void = () => undefined;
    this.ready = new Promise((resolve, reject) => { onReady = resolve; onReadyFail = reject; });
    const timer = setTimeout(() => onReadyFail(new Error(`child not ready within ${opts.readyTimeoutMs ?? 30_000} ms; stderr:\n${this.stderrTail}`)),
      opts.readyTimeoutMs ?? 30_000);
    void this.exited.then((code) => { clearTimeout(timer); onReadyFail(new Error(`child exited (${code}) before ready; stderr:\n${this.stderrTail}`)); });
    const lines = createInterface({ input: this.proc.stdout ?? process.stdin });
    lines.on("line", (line) => {
      let msg: unknown;
      try { msg = JSON.parse(line); } catch { this.stderrTail += `\n[stdout] ${line}`; return; }
      if (typeof msg !== "object" || msg === null) return;
      const m = msg as Record<string, unknown>;
      if (m.type === "ready") { clearTimeout(timer); onReady(m); return; }
      if (typeof m.id === "number") {
        const r = m as unknown as Reply;
        const w = this.waiting.get(r.id);
        this.waiting.delete(r.id);
        if (r.ok) w?.resolve(r.result);
        else w?.reject(new Error(r.error ?? "child request failed"));
      }
    });
  }

  get stderr(): string { return this.stderrTail; }

  request<T = unknown>(op: string, payload: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => { this.waiting.delete(id); reject(new Error(`child op ${op} timed out; stderr:\n${this.stderrTail}`)); }, timeoutMs);
      this.waiting.set(id, {
        resolve: (v) => { clearTimeout(timer); resolve(v as T); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      });
      this.proc.stdin?.write(`${JSON.stringify({ id, op, ...payload })}\n`);
    });
  }

  /** Closes stdin (the child cleans up and exits); SIGKILL after graceMs. */
  async kill(graceMs = 5000): Promise<number | null> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return this.proc.exitCode;
    this.proc.stdin?.end();
    const timer = setTimeout(() => this.killNow(), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  killNow(): void {
    if (this.proc.pid !== undefined && this.proc.exitCode === null && this.proc.signalCode === null) {
      try { process.kill(this.proc.pid, "SIGKILL"); } catch { /* gone */ }
    }
  }
}

/** Child side: answers ops from stdin; calls onClose when stdin ends. */
export function serveJsonLines(handlers: Record<string, (msg: Record<string, unknown>) => Promise<unknown>>, onClose: () => Promise<void>): void {
  const rl = createInterface({ input: process.stdin });
  rl.on("line", (line) => {
    void (async () => {
      let msg: Record<string, unknown> = {};
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
        const handler = handlers[String(msg.op)];
        if (handler === undefined) throw new Error(`unknown op ${String(msg.op)}`);
        const result = await handler(msg);
        process.stdout.write(`${JSON.stringify({ id: msg.id, ok: true, result })}\n`);
      } catch (err) {
        process.stdout.write(`${JSON.stringify({ id: msg.id, ok: false, error: err instanceof Error ? err.message : String(err) })}\n`);
      }
    })();
  });
  rl.on("close", () => { void onClose(); });
}
