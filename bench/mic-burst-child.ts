// Child process of bench/mic-burst.ts: the MIC app (functions kit + durable host on the REAL
// clock + Azurite + the ARM peer over HTTPS through @azure/arm-compute). It runs in its own
// process because Node reads the test CA (NODE_EXTRA_CA_CERTS) only at start-up.
// One config in (IPC), one MicBurstChildResult out, then exit.
import { createComputeHosts } from "../functions/mic/arm/compute-hosts.ts";
import type { HostIdentity } from "../functions/mic/arm/types.ts";
import { armIdentity, sendAll, sendSnapshot, startMicTestApp, type MicTestApp } from "../test/helpers/mic-app.ts";
import { binding, identity, NODE_RG, pod, SUB, vmssNode } from "../test/helpers/mic-fixtures.ts";

export interface MicBurstConfig {
  pods: number;
  scaleSets: number;
  nodesPerScaleSet: number;
  identities: number;
  /** ARM peer: how long each identity update runs. */
  operationMs: number;
  pollMs: number;
  graceMs: number;
  /** reconcileHost's coalescing window (quiet period, and its cap). */
  quietMs: number;
  maxWindowMs: number;
  /** Give up waiting for convergence after this long. */
  timeoutMs: number;
  /** What to run, in order. */
  run: Array<"floor" | "events" | "snapshot">;
  /** Appended to scenario names (e.g. which window). */
  label: string;
}

export interface ScenarioResult {
  name: string;
  /** Time to put the burst in (ingest of every event), ms. */
  ingestMs: number;
  /** From the first event to every AzureAssignedIdentity Assigned, ms. */
  assignedMs: number;
  /** From the first event to no orchestration running (grace periods included), ms. */
  idleMs: number;
  writes: number;
  writesPerHost: number[];
  /** Entries per PATCH, in order, per host. */
  patchEntries: number[][];
  conflicts: number;
  assigned: number;
}

export interface MicBurstChildResult {
  floor?: { ms: number; writes: number };
  scenarios: ScenarioResult[];
  /** Durable-host messages that stalled and were dispatched by a nudge (see nudgeStalled). */
  stalls: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function objectsFor(c: MicBurstConfig, tag: string, app: MicTestApp) {
  const ids = Array.from({ length: c.identities }, (_, k) => `id-${tag}-${k}`);
  for (const n of ids) armIdentity(app.arm, n);
  const vmss = Array.from({ length: c.scaleSets }, (_, v) => `vmss-${tag}-${v}`);
  const hosts = vmss.map((name) => app.arm.addScaleSet({ subscriptionId: SUB, resourceGroup: NODE_RG, name, location: "westeurope" }));
  const nodes = vmss.flatMap((name, v) => Array.from({ length: c.nodesPerScaleSet }, (_, i) => vmssNode(`${tag}-n${v}-${i}`, name, i)));
  // Pod i on node i mod #nodes, bound to identity i mod #identities: with #scale sets and
  // #identities coprime every scale set needs every identity.
  const pods = Array.from({ length: c.pods }, (_, i) => {
    const node = nodes[i % nodes.length]?.metadata.name ?? "";
    return pod("default", `p${i}`, node, ids[i % ids.length] ?? "");
  });
  return {
    hosts, vmss, pods, nodes,
    identities: ids.map((n) => identity("default", n)),
    bindings: ids.map((n) => binding("default", `b-${n}`, n, n)),
  };
}

/**
 * Durable-host messages seen overdue by more than a second twice in a row, and then dispatched
 * by a nudge. The real-clock dispatcher (sandbox/durable-host/dispatcher.ts) once left a message
 * that fell due between its last batch and re-arming its timer until something else kicked it;
 * that is fixed (it now re-checks after arming), and this watchdog stays to show a regression:
 * the count is reported and should be 0.
 */
let stalls = 0;
let overdueBefore = new Set<string>();

async function nudgeStalled(app: MicTestApp): Promise<void> {
  const now = Date.now();
  const overdue = new Set((await app.durableStore.loadMessages()).filter((m) => Date.parse(m.visibleAt) < now - 1_000).map((m) => m.id));
  const stuck = [...overdue].filter((id) => overdueBefore.has(id));
  overdueBefore = overdue;
  if (stuck.length === 0) return;
  stalls += stuck.length;
  await app.host.runUntilIdle();
}

async function waitFor(app: MicTestApp, what: string, timeoutMs: number, ok: () => boolean | Promise<boolean>): Promise<void> {
  const end = Date.now() + timeoutMs;
  let lastCheck = Date.now();
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    if (Date.now() - lastCheck >= 1_000) {
      lastCheck = Date.now();
      await nudgeStalled(app);
    }
    await sleep(10);
  }
}

/** On a timeout: what the durable host was doing (stuck instances, their last events, host errors). */
function diagnose(app: MicTestApp) {
  return async (e: unknown): Promise<never> => {
    const live = await app.host.listStatus({ runtimeStatus: ["Running", "Pending"] });
    const lines = [String(e), `now ${new Date().toISOString()}`];
    for (const s of live) {
      const h = await app.host.history(s.instanceId);
      lines.push(`${s.instanceId} ${s.runtimeStatus} ${JSON.stringify(s.customStatus)}`);
      lines.push(`  history: ${JSON.stringify(h.slice(-12).map((x) => [x.EventId, x.EventType, x.Timestamp, x.FireAt, x.TimerId, x.Name]))}`);
      lines.push(`  log: ${JSON.stringify(app.host.log.filter((l) => l.instanceId === s.instanceId).slice(-8))}`);
    }
    lines.push(`host errors: ${JSON.stringify(app.host.log.filter((l) => l.kind === "error").slice(-5))}`);
    throw new Error(lines.join("\n"));
  };
}

async function scenario(app: MicTestApp, c: MicBurstConfig, name: string, how: "events" | "snapshot"): Promise<ScenarioResult> {
  const tag = `${how}${app.clusters.length}`;
  const cluster = `bench-${tag}`;
  const o = objectsFor(c, tag, app);
  // Identities, bindings and nodes are there before the burst (no pod needs anything yet).
  await sendAll(app, cluster, { identities: o.identities, bindings: o.bindings, nodes: o.nodes });
  const prefix = `default/p`;
  const assignedCount = () => [...app.publisher.statuses()].filter(([k, v]) => k.startsWith(prefix) && k.includes(`-default-id-${tag}-`) && v === "Assigned").length;
  const logStart = app.arm.log.length;
  const t0 = Date.now();
  if (how === "events") {
    for (const p of o.pods) await app.send(cluster, "Pod", p);
  } else {
    await sendSnapshot(app, cluster, { identities: o.identities, bindings: o.bindings, nodes: o.nodes, pods: o.pods });
  }
  const ingestMs = Date.now() - t0;
  await waitFor(app, `${name}: all Assigned`, c.timeoutMs, () => assignedCount() === c.pods).catch(diagnose(app));
  const assignedMs = Date.now() - t0;
  await waitFor(app, `${name}: orchestrations idle`, c.timeoutMs, async () =>
    (await app.host.listStatus({ runtimeStatus: ["Running", "Pending"] })).length === 0).catch(diagnose(app));
  const idleMs = Date.now() - t0;
  const log = app.arm.log.slice(logStart);
  const patches = (v: string) => log.filter((l) => l.method === "PATCH" && l.path.toLowerCase().includes(`/${v}?`));
  const entries = (body: unknown) => Object.keys((body as { identity?: { userAssignedIdentities?: object } }).identity?.userAssignedIdentities ?? {}).length;
  return {
    name, ingestMs, assignedMs, idleMs,
    writes: o.hosts.reduce((a, h) => a + app.arm.writesFor(h), 0),
    writesPerHost: o.hosts.map((h) => app.arm.writesFor(h)),
    patchEntries: o.vmss.map((v) => patches(v).map((p) => entries(p.body))),
    conflicts: log.filter((l) => l.status === 409).length,
    assigned: assignedCount(),
  };
}

/**
 * The floor: what the same identity updates cost with nothing but the SDK adapter — one PATCH
 * per scale set with every identity, all hosts at once, polled at the same interval.
 */
async function floor(app: MicTestApp, c: MicBurstConfig): Promise<{ ms: number; writes: number }> {
  const tag = "floor";
  const o = objectsFor(c, tag, app);
  const arm = createComputeHosts({
    endpoint: app.deps.settings.arm.endpoint, scope: app.deps.settings.arm.scope,
    credential: { getToken: () => Promise.resolve({ token: "bench", expiresOnTimestamp: Date.now() + 3_600_000 }) },
  });
  const ids = o.identities.map((i) => i.spec.resourceID ?? "");
  const t0 = Date.now();
  await Promise.all(o.hosts.map(async (h) => {
    const before: HostIdentity = await arm.getIdentity(h);
    const started = await arm.startIdentityUpdate(h, {
      identity: { type: before.type?.includes("SystemAssigned") ? "SystemAssigned, UserAssigned" : "UserAssigned", userAssignedIdentities: Object.fromEntries(ids.map((id) => [id, {}])) },
    });
    if (started.operation) {
      for (;;) {
        await sleep(c.pollMs);
        const poll = await arm.pollOperation(h, started.operation);
        if (poll.status === "succeeded") break;
        if (poll.status !== "running") throw new Error(`floor: operation ${poll.status}`);
      }
    }
    await arm.getIdentity(h);
  }));
  return { ms: Date.now() - t0, writes: o.hosts.reduce((a, h) => a + app.arm.writesFor(h), 0) };
}

async function run(c: MicBurstConfig): Promise<MicBurstChildResult> {
  const app = await startMicTestApp({
    clock: "real",
    arm: { operationDurationMs: c.operationMs },
    timing: { pollIntervalMs: c.pollMs, minPollMs: Math.min(50, c.pollMs), graceMs: c.graceMs, coalesceQuietMs: c.quietMs, coalesceMaxMs: c.maxWindowMs },
  });
  try {
    const out: MicBurstChildResult = { scenarios: [], stalls: 0 };
    for (const what of c.run) {
      if (what === "floor") out.floor = await floor(app, c);
      else if (what === "events") out.scenarios.push(await scenario(app, c, `${c.pods} Pod events, one after another${c.label}`, "events"));
      else out.scenarios.push(await scenario(app, c, `one snapshot with every object (forwarder start-up)${c.label}`, "snapshot"));
    }
    return { ...out, stalls };
  } finally {
    await app.stop();
  }
}

process.once("message", (config) => {
  run(config as MicBurstConfig).then(
    (result) => process.send?.({ ok: true, result }, () => process.exit(0)),
    (e: unknown) => process.send?.({ ok: false, error: e instanceof Error ? e.stack ?? e.message : String(e) }, () => process.exit(1)),
  );
});
