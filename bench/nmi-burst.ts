// NMI burst (DESIGN §9): N pods × one identity. Warm cache: throughput and latency as a ratio
// to a bare node:http server answering a fixed JSON body of the same size, measured in the
// same run with the same client and concurrency (one in-flight request per pod), keep-alive
// on and off, interleaved rounds, medians. Cold cache: every pod asks for a resource nobody
// asked for yet, all at once; counts upstream IMDS calls per burst (target: exactly one).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { cpus, loadavg } from "node:os";
import { percentile, rps, runLoadInChild, type LoadResult, type LoadSpec } from "./lib/load.ts";
import { startNmiNode } from "./lib/nmi-node.ts";
import type { BenchModule, BenchOptions, BenchResult } from "./lib/types.ts";

const TOKEN = "/metadata/identity/oauth2/token";
const q = (resource: string, clientId: string): string =>
  `${TOKEN}?${new URLSearchParams({ "api-version": "2018-02-01", resource, client_id: clientId }).toString()}`;

interface Stats { rps: number; p50: number; p99: number; count: number; cpuUs: number }
interface Measured { r: LoadResult; cpuUs: number }
const stats = (m: Measured): Stats => ({
  rps: rps(m.r), p50: percentile(m.r.latenciesMs, 50), p99: percentile(m.r.latenciesMs, 99), count: m.r.count, cpuUs: m.cpuUs / m.r.count,
});

/** Runs a load and the servers' CPU time (this process: NMI, peers, bare server) meanwhile. */
async function measured(spec: LoadSpec): Promise<Measured> {
  const before = process.cpuUsage();
  const r = await runLoadInChild(spec);
  const d = process.cpuUsage(before);
  return { r, cpuUs: d.user + d.system };
}
const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)] ?? NaN; };
const medianStats = (xs: Stats[]): Stats => ({
  rps: median(xs.map((x) => x.rps)), p50: median(xs.map((x) => x.p50)), p99: median(xs.map((x) => x.p99)),
  count: xs.reduce((a, x) => a + x.count, 0), cpuUs: median(xs.map((x) => x.cpuUs)),
});
const f1 = (n: number): string => n.toFixed(1);
const f2 = (n: number): string => n.toFixed(2);

function checkAll200(r: LoadResult, what: string): void {
  const bad = Object.entries(r.statuses).filter(([s]) => s !== "200");
  if (r.errors > 0 || bad.length > 0) throw new Error(`${what}: non-200 answers ${JSON.stringify(r.statuses)}, ${r.errors} errors (${r.firstError ?? ""})`);
}

async function run(opts: BenchOptions): Promise<BenchResult> {
  const pods = opts.quick ? 20 : 50;
  const rounds = opts.quick ? 1 : 3;
  const totals = { on: opts.quick ? 3000 : 15_000, off: opts.quick ? 1500 : 6000 };
  const bursts = opts.quick ? 3 : 10;
  const imdsLatencyMs = 10;
  // Process warnings during the run (e.g. MaxListenersExceededWarning from abort listeners
  // piling up on a shared signal in cold bursts) are a defect, not noise: counted and judged.
  const warnings: string[] = [];
  const onWarning = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
  process.on("warning", onWarning);
  const node = await startNmiNode({ pods, imdsLatencyMs });
  let bare: Server | undefined;
  try {
    const nmiOrigin = `http://127.0.0.1:${node.nmi.addresses.token.port}`;
    const headers = { Metadata: "true" };
    const warmPath = q("https://vault.azure.net", node.clientId);
    const base: Omit<LoadSpec, "origin" | "paths" | "total" | "keepAlive"> = { headers, sources: node.podIps, concurrency: pods, maxDurationMs: 20_000 };

    // Warm the cache once and copy NMI's answer, so the bare server sends a body of equal size.
    const first = await runLoadInChild({ ...base, origin: nmiOrigin, paths: [warmPath], total: pods, keepAlive: false });
    checkAll200(first, "warm-up");
    const body = first.lastBody ?? "{}";
    bare = createServer((_req, res) => { res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) }).end(body); });
    await new Promise<void>((r) => bare?.listen(0, "127.0.0.1", r));
    const bareOrigin = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;

    // JIT warm-up of both servers (not recorded), so round 1 does not measure the compiler.
    for (const origin of [bareOrigin, nmiOrigin]) {
      checkAll200(await runLoadInChild({ ...base, origin, paths: [warmPath], total: opts.quick ? 500 : 3000, keepAlive: true }), "jit warm-up");
    }

    const rows: string[][] = [];
    const targets: BenchResult["targets"] = [];
    const bareByMode: Record<string, Stats> = {};
    for (const keepAlive of [true, false]) {
      const mode = keepAlive ? "on" : "off";
      const total = totals[mode];
      const bareRuns: Stats[] = [];
      const nmiRuns: Stats[] = [];
      const upstreamBefore = node.imds.tokenRequests;
      for (let i = 0; i < rounds; i++) {
        // Alternate which goes first: load from other processes drifts over a run.
        const measure = async (origin: string, what: string): Promise<Measured> => {
          const m = await measured({ ...base, origin, paths: [warmPath], total, keepAlive });
          checkAll200(m.r, what);
          return m;
        };
        const b = i % 2 === 0 ? await measure(bareOrigin, "bare") : undefined;
        const n = await measure(nmiOrigin, "nmi warm");
        const b2 = b ?? await measure(bareOrigin, "bare");
        bareRuns.push(stats(b2));
        nmiRuns.push(stats(n));
        opts.log(`keep-alive ${mode} round ${i + 1}: bare ${f1(stats(b2).rps)} req/s, nmi ${f1(stats(n).rps)} req/s`);
      }
      const warmUpstream = node.imds.tokenRequests - upstreamBefore;
      const bs = medianStats(bareRuns);
      const ns = medianStats(nmiRuns);
      // Ratios per round (each pair measured back to back), then the median: steadier than a
      // ratio of medians when other processes share the cores.
      const ratio = median(nmiRuns.map((n, i) => n.rps / (bareRuns[i]?.rps ?? NaN)));
      // Capacity ratio: bare CPU per request / NMI CPU per request = the throughput ratio a
      // saturated core would show, independent of what else the machine runs.
      const capacity = median(nmiRuns.map((n, i) => (bareRuns[i]?.cpuUs ?? NaN) / n.cpuUs));
      bareByMode[mode] = bs;
      rows.push([`bare node:http (fixed JSON)`, mode, String(bs.count), f1(bs.rps), "1.00", f2(bs.p50), f2(bs.p99), `${f1(bs.cpuUs)} (1.00)`, "–"]);
      rows.push([`NMI warm cache`, mode, String(ns.count), f1(ns.rps), f2(ratio), `${f2(ns.p50)} (${f2(ns.p50 / bs.p50)}×)`, `${f2(ns.p99)} (${f2(ns.p99 / bs.p99)}×)`,
        `${f1(ns.cpuUs)} (${f2(capacity)})`, String(warmUpstream)]);
      // Judged on the CPU capacity ratio: on a shared machine the wall-clock ratio swings
      // (0.3×–1.4× between runs here) while CPU per request stays put.
      targets.push({ name: `warm throughput ≥ 0.5× bare (keep-alive ${mode}, CPU capacity ratio)`, met: capacity >= 0.5,
        detail: `capacity ${f2(capacity)}× (${f1(ns.cpuUs)} vs ${f1(bs.cpuUs)} µs/req); wall-clock ${f2(ratio)}× req/s (per round: ${nmiRuns.map((n, i) => f2(n.rps / (bareRuns[i]?.rps ?? NaN))).join(", ")})` });
      targets.push({ name: `no upstream call on a warm cache (keep-alive ${mode})`, met: warmUpstream === 0, detail: `${warmUpstream} IMDS calls for ${ns.count} requests` });
    }

    for (const keepAlive of [true, false]) {
      const mode = keepAlive ? "on" : "off";
      const all: number[] = [];
      let cpuUs = 0;
      const perBurst: number[] = [];
      const burstMs: number[] = [];
      for (let i = 0; i < bursts; i++) {
        const resource = `https://bench-cold-${mode}-${i}.example.net`;
        const before = node.imds.tokenRequests;
        const { r, cpuUs: c } = await measured({ ...base, origin: nmiOrigin, paths: [q(resource, node.clientId)], total: pods, keepAlive });
        checkAll200(r, "nmi cold");
        cpuUs += c;
        perBurst.push(node.imds.tokenRequests - before);
        burstMs.push(r.durationMs);
        all.push(...r.latenciesMs);
      }
      all.sort((a, b) => a - b);
      const bs = bareByMode[mode];
      const p50 = percentile(all, 50);
      const p99 = percentile(all, 99);
      const maxCalls = Math.max(...perBurst);
      rows.push([`NMI cold burst (${pods} pods at once, new resource)`, mode, `${bursts}×${pods}`, `burst ${f1(median(burstMs))} ms`, "–",
        `${f2(p50)}${bs ? ` (${f2(p50 / bs.p50)}×)` : ""}`, `${f2(p99)}${bs ? ` (${f2(p99 / bs.p99)}×)` : ""}`,
        `${f1(cpuUs / all.length)}${bs ? ` (${f2(bs.cpuUs / (cpuUs / all.length))})` : ""}`, `${perBurst.join(",")}`]);
      targets.push({ name: `one upstream call per (identity, resource) per burst (keep-alive ${mode})`, met: perBurst.every((n) => n === 1), detail: `max ${maxCalls} per burst over ${bursts} bursts` });
    }

    await new Promise((r) => setImmediate(r));
    targets.push({ name: "no process warning during the run (warm and cold bursts)", met: warnings.length === 0,
      detail: warnings.length === 0 ? "0 warnings" : `${warnings.length}: ${[...new Set(warnings)].join("; ").slice(0, 300)}` });
    const load = loadavg().map((l) => l.toFixed(1)).join(" / ");
    return {
      title: `NMI burst: ${pods} pods × 1 identity`,
      tables: [{ columns: ["scenario", "keep-alive", "requests", "req/s", "× bare req/s", "p50 ms (× bare)", "p99 ms (× bare)", "server CPU µs/req (capacity × bare)", "upstream IMDS calls"], rows }],
      targets,
      notes: [
        `Client: one closed-loop virtual client per pod (concurrency ${pods}), each from its own 127.0.0.x source address, in a separate process; servers (NMI, kube and IMDS peers, bare server) in the bench process.`,
        "× bare req/s: median of per-round ratios (each NMI run paired with a bare run back to back). Server CPU µs/req: CPU time of the server process per request; capacity × bare = bare CPU/req ÷ NMI CPU/req, the throughput ratio on a saturated core, which other load on the machine disturbs much less than wall-clock req/s.",
        `Warm rows: after an unrecorded JIT warm-up, median of ${rounds} interleaved bare/NMI round(s) (order alternating), ${totals.on} (keep-alive on) / ${totals.off} (off) requests each. Keep-alive off = a new TCP connection per request.`,
        `Cold rows: ${bursts} bursts; each burst is every pod asking at once for a resource not yet cached; IMDS peer latency ${imdsLatencyMs} ms; the last column lists IMDS calls per burst.`,
        `Load average at the end (1/5/15 min): ${load} on ${cpus().length} cores shared with other work — absolute figures are noisy, ratios less so.`,
        "NMI runs with production settings (info logging serialised to a discarding sink, authorization on every request, upstream limiter 5 concurrent / 20 per s).",
      ],
    };
  } finally {
    process.off("warning", onWarning);
    await new Promise((r) => (bare ? bare.close(r) : r(undefined)));
    await node.close();
  }
}

export const nmiBurst: BenchModule = { id: "nmi-burst", description: "NMI token burst vs a bare node:http server", run };
