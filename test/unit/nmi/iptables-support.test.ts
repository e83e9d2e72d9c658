import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventEmitter } from "node:events";
import { createIptablesManager } from "../../../nmi/iptables/manager.ts";
import { interceptionConfig } from "../../../nmi/iptables/rules.ts";
import { startVerifyLoop } from "../../../nmi/iptables/verify-loop.ts";
import { checkRouteLocalnet, describeRouteLocalnet, enableRouteLocalnet, needsRouteLocalnet } from "../../../nmi/iptables/route-localnet.ts";
import { removeRulesOnSignal } from "../../../nmi/iptables/shutdown.ts";
import { iptablesMetricHooks } from "../../../nmi/iptables/metrics.ts";
import { Registry } from "prom-client";
import { FakeIptables } from "../../helpers/fake-iptables.ts";

const cfg = interceptionConfig({ targetAddress: "127.0.0.1", targetPort: 2579 });

function manualTimers(): { set: (fn: () => void, ms: number) => { unref(): void }; clear: () => void; fire(): void; delays: number[] } {
  let pending: (() => void) | null = null;
  const delays: number[] = [];
  return {
    set: (fn, ms) => { pending = fn; delays.push(ms); return { unref() { /* fake */ } }; },
    clear: () => { pending = null; },
    fire() { const f = pending; pending = null; f?.(); },
    delays,
  };
}

test("verify loop: runs on the configured interval, reports repairs, counts them as metrics", async () => {
  const fake = new FakeIptables();
  const registry = new Registry();
  const mgr = createIptablesManager({ runner: fake, config: cfg, hooks: iptablesMetricHooks(registry) });
  const timers = manualTimers();
  const seen: boolean[] = [];
  const loop = startVerifyLoop(mgr, { intervalMs: 1234, setTimer: timers.set, clearTimer: timers.clear, onResult: (r) => seen.push(r.repaired) });
  assert.deepEqual(timers.delays, [1234]);
  assert.equal(await loop.verifyNow(), true, "first pass installs");
  assert.equal(await loop.verifyNow(), false, "then clean");
  fake.chains.set("aad-metadata", []); // someone flushed our chain
  timers.fire();
  await new Promise((r) => setImmediate(r));
  await loop.verifyNow();
  assert.deepEqual(seen.slice(0, 3), [true, false, true]);
  assert.equal(timers.delays.length, 2, "rescheduled after the timed run");
  const text = await registry.metrics();
  assert.match(text, /podid_nmi_iptables_ensure_total\{outcome="repaired"\} 1/);
  assert.match(text, /podid_nmi_iptables_ensure_total\{outcome="installed"\} 1/);
  await loop.stop();
  timers.fire();
  assert.equal(timers.delays.length, 2, "no timer after stop");
});

test("verify loop: errors go to onError and the loop keeps going", async () => {
  const fake = new FakeIptables();
  fake.fault = () => ({ code: 4, stdout: "", stderr: "Permission denied (you must be root)" });
  const timers = manualTimers();
  const errors: unknown[] = [];
  const loop = startVerifyLoop(createIptablesManager({ runner: fake, config: cfg }), { setTimer: timers.set, clearTimer: timers.clear, onError: (e) => errors.push(e) });
  assert.deepEqual(timers.delays, [60_000], "default interval is 60 s");
  assert.equal(await loop.verifyNow(), false);
  assert.equal(errors.length, 1);
  await loop.stop();
});

test("route_localnet: effective when conf/all or the interface is set; reports the rest; enable writes 1", async () => {
  const dir = mkdtempSync(join(tmpdir(), "podid-sysctl-"));
  try {
    for (const [name, v] of [["all", "0"], ["default", "0"], ["lo", "0"], ["eth0", "1"], ["veth1", "0"]] as const) {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, "route_localnet"), `${v}\n`);
    }
    const r = await checkRouteLocalnet({ confDir: dir });
    assert.deepEqual(r.missing, ["veth1"]);
    assert.equal(r.ok, false);
    assert.match(describeRouteLocalnet(r), /veth1.*martian/);
    await enableRouteLocalnet(["veth1"], { confDir: dir });
    assert.equal(readFileSync(join(dir, "veth1", "route_localnet"), "utf8"), "1");
    assert.equal((await checkRouteLocalnet({ confDir: dir })).ok, true);
    writeFileSync(join(dir, "all", "route_localnet"), "1");
    writeFileSync(join(dir, "veth1", "route_localnet"), "0");
    assert.equal((await checkRouteLocalnet({ confDir: dir, interfaces: ["veth1"] })).ok, true, "conf/all covers every interface");
    await assert.rejects(enableRouteLocalnet(["../../etc"], { confDir: dir }), /invalid interface name/);
    assert.equal(needsRouteLocalnet("127.0.0.1"), true);
    assert.equal(needsRouteLocalnet("10.240.0.4"), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("SIGTERM: rules removed, then the hook, then the drain wait, then exit(0)", async () => {
  const fake = new FakeIptables();
  const mgr = createIptablesManager({ runner: fake, config: cfg });
  await mgr.ensure();
  const source = new EventEmitter();
  const steps: string[] = [];
  const exited = new Promise<number>((resolve) => {
    removeRulesOnSignal({
      manager: mgr, source, drainMs: 10_000,
      beforeExit: async () => { steps.push(`hook chain=${fake.chains.has("aad-metadata")}`); },
      sleep: async (ms) => { steps.push(`sleep ${ms}`); },
      exit: (code) => { steps.push(`exit ${code}`); resolve(code); },
    });
  });
  source.emit("SIGTERM");
  source.emit("SIGTERM"); // a second signal does not run removal twice
  assert.equal(await exited, 0);
  assert.deepEqual(steps, ["hook chain=false", "sleep 10000", "exit 0"]);
  assert.equal(fake.route(fake.tracePacket), null);
});

test("SIGTERM: a failed removal still exits, with status 1", async () => {
  const fake = new FakeIptables();
  fake.fault = () => ({ code: 4, stdout: "", stderr: "Permission denied (you must be root)" });
  const source = new EventEmitter();
  const code = await new Promise<number>((resolve) => {
    removeRulesOnSignal({ manager: createIptablesManager({ runner: fake, config: cfg }), source, sleep: async () => undefined, exit: resolve });
    source.emit("SIGTERM");
  });
  assert.equal(code, 1);
});
