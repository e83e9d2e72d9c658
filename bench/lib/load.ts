// Closed-loop HTTP load: `concurrency` virtual clients, client i sends from sources[i % n]
// (a simulated pod = a distinct 127.0.0.x source address), each waiting for its response
// before the next request. Runs in its own process so the client neither shares the servers'
// event loop nor counts in their CPU time.
import { Agent, request } from "node:http";
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface LoadSpec {
  origin: string; // http://127.0.0.1:port
  /** Paths cycled per request. */
  paths: string[];
  headers: Record<string, string>;
  sources: string[];
  total: number;
  concurrency: number;
  keepAlive: boolean;
  maxDurationMs: number;
}

export interface LoadResult {
  count: number;
  durationMs: number;
  /** Sorted ascending. */
  latenciesMs: number[];
  statuses: Record<string, number>;
  errors: number;
  firstError?: string;
  lastBody?: string;
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const agent = spec.keepAlive ? new Agent({ keepAlive: true, maxSockets: Infinity }) : undefined;
  const url = new URL(spec.origin);
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let firstError: string | undefined;
  let lastBody: string | undefined;
  let issued = 0;
  const start = performance.now();
  const deadline = start + spec.maxDurationMs;

  const one = (source: string, path: string): Promise<void> => new Promise((resolve) => {
    const t0 = performance.now();
    const req = request({
      host: url.hostname, port: url.port, path, method: "GET", localAddress: source,
      headers: spec.keepAlive ? spec.headers : { ...spec.headers, connection: "close" },
      agent: agent ?? false,
    }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => { body += d; });
      res.on("end", () => {
        latencies.push(performance.now() - t0);
        const k = String(res.statusCode);
        statuses[k] = (statuses[k] ?? 0) + 1;
        lastBody = body;
        resolve();
      });
    });
    req.on("error", (e) => { errors++; firstError ??= e.message; resolve(); });
    req.end();
  });

  const client = async (i: number): Promise<void> => {
    const source = spec.sources[i % spec.sources.length] ?? "127.0.0.1";
    while (issued < spec.total && performance.now() < deadline) {
      const path = spec.paths[issued % spec.paths.length] ?? "/";
      issued++;
      await one(source, path);
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, (_, i) => client(i)));
  const durationMs = performance.now() - start;
  agent?.destroy();
  latencies.sort((a, b) => a - b);
  const result: LoadResult = { count: latencies.length, durationMs, latenciesMs: latencies, statuses, errors };
  if (firstError !== undefined) result.firstError = firstError;
  if (lastBody !== undefined) result.lastBody = lastBody;
  return result;
}

/**
 * Runs the load in a child process, so the parent's CPU time (process.cpuUsage) is the
 * servers' alone: CPU per request is far less sensitive to other work on the machine than
 * wall-clock throughput.
 */
export function runLoadInChild(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL("./load-child.ts", import.meta.url)), [], { execArgv: ["--import", "tsx"], serialization: "advanced" });
    let result: LoadResult | undefined;
    child.once("message", (r) => { result = r as LoadResult; });
    child.once("error", reject);
    child.once("exit", (code) => (result !== undefined ? resolve(result) : reject(new Error(`load process exited ${code} without a result`))));
    child.send(spec);
  });
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

export function rps(r: LoadResult): number {
  return r.count / (r.durationMs / 1000);
}
