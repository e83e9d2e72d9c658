// MIC burst (issue 4, DESIGN §5): 200 pods on the nodes of 3 scale sets, bound to 20
// identities, appear at once. Counts ARM writes (target: the minimum, one per host per burst,
// plus chunking above 150 entries) and the time until every AzureAssignedIdentity is Assigned,
// as a ratio to the ARM peer's operation duration and to a floor measured in the same run: the
// same updates sent straight through the SDK adapter (one PATCH per scale set, all at once,
// polled at the same interval) — the time no MIC can beat. The MIC runs in a child process
// (bench/mic-burst-child.ts) that trusts the run's throwaway CA.
import { fork } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { createPki, PKI_DIR_ENV, removePki } from "../sandbox/pki.ts";
import type { MicBurstChildResult, MicBurstConfig, ScenarioResult } from "./mic-burst-child.ts";
import type { BenchModule, BenchOptions, BenchResult } from "./lib/types.ts";

function runChild(config: MicBurstConfig): Promise<MicBurstChildResult> {
  const pki = createPki();
  return new Promise<MicBurstChildResult>((resolve, reject) => {
    const child = fork(fileURLToPath(new URL("./mic-burst-child.ts", import.meta.url)), [], {
      execArgv: ["--import", "tsx"],
      env: { ...process.env, NODE_EXTRA_CA_CERTS: pki.caCertPath, [PKI_DIR_ENV]: pki.dir },
    });
    let reply: { ok: true; result: MicBurstChildResult } | { ok: false; error: string } | undefined;
    child.once("message", (m) => { reply = m as typeof reply; });
    child.once("error", reject);
    child.once("exit", (code) => {
      if (reply?.ok) resolve(reply.result);
      else reject(new Error(reply ? `mic burst failed: ${reply.error}` : `mic burst process exited ${code} without a result`));
    });
    child.send(config);
  }).finally(() => removePki(pki));
}

const f2 = (n: number): string => n.toFixed(2);
const minimumWrites = (c: MicBurstConfig): number => c.scaleSets * Math.ceil(c.identities / 150);

async function run(opts: BenchOptions): Promise<BenchResult> {
  const base: MicBurstConfig = {
    pods: opts.quick ? 60 : 200,
    scaleSets: 3,
    nodesPerScaleSet: 4,
    identities: 20,
    // A VMSS identity update takes 40-60 s in Azure; scaled down about 1:4.5 (quick 1:15).
    // Ingest is not scaled (real Azurite), so the window's cap stays above the burst's ingest.
    operationMs: opts.quick ? 3_000 : 10_000,
    pollMs: opts.quick ? 300 : 1_000,
    graceMs: opts.quick ? 300 : 1_000,
    quietMs: opts.quick ? 500 : 1_000,
    maxWindowMs: opts.quick ? 3_000 : 10_000,
    timeoutMs: 120_000,
    run: ["floor", "events", "snapshot"],
    label: "",
  };
  const config = base;
  opts.log(`${config.pods} pods, ${config.scaleSets} scale sets, ${config.identities} identities, ARM operation ${config.operationMs} ms`);
  const withWindow = await runChild(base);
  // The same burst without the coalescing window: what one-write-per-wake-up costs.
  const noWindow = await runChild({ ...base, quietMs: 0, run: ["events"], label: " — coalescing window off" });
  const floorRun = withWindow.floor;
  if (!floorRun) throw new Error("mic burst: the floor did not run");
  const r = { floor: floorRun, scenarios: [...withWindow.scenarios, ...noWindow.scenarios] };
  const min = minimumWrites(config);
  const D = config.operationMs;
  const row = (s: ScenarioResult): string[] => [
    s.name, String(s.ingestMs), String(s.writes), `${f2(s.writes / min)}×`, s.patchEntries.map((p) => `[${p.join(",")}]`).join(" "),
    String(s.conflicts), String(s.assignedMs), f2(s.assignedMs / D), f2((s.assignedMs - s.ingestMs) / D), f2(s.assignedMs / r.floor.ms), f2(s.idleMs / D),
  ];
  const rows = [
    ["floor: one PATCH per scale set straight through the SDK adapter", "–", String(r.floor.writes), `${f2(r.floor.writes / min)}×`, "–", "0", String(r.floor.ms), f2(r.floor.ms / D), "–", "1.00", "–"],
    ...r.scenarios.map(row),
  ];
  for (const s of r.scenarios) opts.log(`${s.name}: ${s.writes} writes ${JSON.stringify(s.patchEntries)}, Assigned after ${s.assignedMs} ms (${f2(s.assignedMs / D)}× operation)`);
  const targets: BenchResult["targets"] = withWindow.scenarios.flatMap((s) => [
    { name: `${s.name}: minimum ARM writes (${min} = one per scale set, ≤150 entries each)`, met: s.writes === min, detail: `${s.writes} writes; entries per PATCH per scale set ${s.patchEntries.map((p) => `[${p.join(",")}]`).join(" ")}` },
    { name: `${s.name}: one ARM write in flight per host`, met: s.conflicts === 0, detail: `${s.conflicts} × 409 Conflict from the ARM peer` },
    { name: `${s.name}: every AzureAssignedIdentity Assigned`, met: s.assigned === config.pods, detail: `${s.assigned}/${config.pods}` },
  ]).concat(noWindow.scenarios.map((s) => (
    { name: `${s.name}: one ARM write in flight per host`, met: s.conflicts === 0, detail: `${s.conflicts} × 409 Conflict; ${s.writes} writes` })));
  return {
    title: `MIC burst: ${config.pods} pods × ${config.scaleSets} scale sets × ${config.identities} identities`,
    tables: [{
      columns: ["scenario", "ingest ms", "ARM writes", "× minimum", "entries per PATCH (per scale set)", "409s", "all Assigned ms", "× operation", "after the last event × operation", "× floor", "idle × operation"],
      rows,
    }],
    targets,
    notes: [
      `ARM peer operation duration ${D} ms (a VMSS identity update takes 40-60 s in Azure); reconcileHost polls every ${config.pollMs} ms, grace period ${config.graceMs} ms, coalescing window: ${config.quietMs} ms without a generation change, at most ${config.maxWindowMs} ms (production defaults 2 s / 30 s); durable host on the real clock, state in Azurite, ARM through @azure/arm-compute over HTTPS.`,
      `${config.scaleSets} scale sets × ${config.nodesPerScaleSet} nodes; pod i on node i mod ${config.scaleSets * config.nodesPerScaleSet}, identity i mod ${config.identities}: every scale set needs all ${config.identities} identities.`,
      "Pod events: delivered one after another through the micEvents trigger, as a Service Bus session would (ingest ms = the whole burst). Snapshot: one message with every object, as the forwarder sends at start-up.",
      `Floor: GET, PATCH with all identities, poll, GET per scale set, hosts in parallel, no MIC (${r.floor.ms} ms). × floor = time to all Assigned ÷ floor; × operation = ÷ the ARM operation duration; after the last event = (all Assigned − ingest) ÷ the operation duration.`,
      "Coalescing window off: the same burst with `coalesceQuietMs: 0` (a fresh app in its own process): each execution PATCHes what it has read, and the pods that arrive meanwhile need another write. A naive MIC writing once per pod event would send one PATCH per pod; ARM takes one write per host at a time, so those writes would queue per scale set.",
      `Durable-host messages that stalled past their due time and were dispatched by the bench's nudge: ${withWindow.stalls + noWindow.stalls} (a watchdog for a fixed real-clock dispatcher race in sandbox/durable-host, see bench/mic-burst-child.ts; 0 means the figures are untouched by it).`,
      `Load average at the end (1/5/15 min): ${loadavg().map((l) => l.toFixed(1)).join(" / ")} on ${cpus().length} cores shared with other work.`,
    ],
  };
}

export const micBurst: BenchModule = { id: "mic-burst", description: "MIC: ARM writes and time to Assigned for a pod burst", run };
