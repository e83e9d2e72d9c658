// nmi/interception.ts: what main.ts does with iptables, driven by NmiConfig, against the fake
// nat table and an in-memory /proc/sys (the real thing runs in test/e2e/nmi-main-*.test.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { pino } from "pino";
import { Registry } from "prom-client";
import { parseNmiConfig, type NmiConfigInput } from "../../../nmi/config.ts";
import { createInterception, InterceptionError, ROUTE_LOCALNET_ERROR } from "../../../nmi/interception.ts";
import type { SysctlFs } from "../../../nmi/iptables/index.ts";
import { FakeIptables } from "../../helpers/fake-iptables.ts";

const CONF = "/proc/sys/net/ipv4/conf";

/** conf/<if>/route_localnet values; `readOnly` makes writes fail like an unprivileged /proc/sys. */
function memSysctl(values: Record<string, string>, readOnly = false): SysctlFs & { values: Record<string, string> } {
  return {
    values,
    read: async (p) => {
      const v = values[p.slice(CONF.length + 1).split("/")[0] ?? ""];
      if (v === undefined) throw new Error(`ENOENT: ${p}`);
      return `${v}\n`;
    },
    write: async (p, v) => {
      if (readOnly) throw Object.assign(new Error(`EROFS: read-only file system, open '${p}'`), { code: "EROFS" });
      values[p.slice(CONF.length + 1).split("/")[0] ?? ""] = v;
    },
    list: async () => Object.keys(values),
  };
}

function setup(overrides: Partial<NmiConfigInput> = {}, sysctl = memSysctl({ all: "1", lo: "0", eth0: "0" })) {
  const fake = new FakeIptables();
  const registry = new Registry();
  const lines: Array<{ level: number; msg: string }> = [];
  const logger = pino({ level: "info" }, { write: (l: string) => void lines.push(JSON.parse(l) as { level: number; msg: string }) });
  const config = parseNmiConfig({ nodeName: "n1", ...overrides });
  const interception = createInterception({ config, logger, registry, runner: fake, sysctl });
  return { fake, registry, lines, interception, sysctl };
}

const jumpFirst = (fake: FakeIptables): boolean => (fake.chains.get("PREROUTING")?.[0] ?? []).join(" ") === "-j aad-metadata";

test("install: chain + first jump with DNAT to the token address/port from the config; remove: all gone", async () => {
  const { fake, interception, registry } = setup({ metadataIp: "169.254.169.254", metadataPort: 80 });
  await interception.preflight();
  const r = await interception.install(2579);
  assert.equal(r.outcome, "installed");
  assert.ok(jumpFirst(fake));
  assert.match((fake.chains.get("aad-metadata") ?? []).map((s) => s.join(" ")).join("\n"), /--to-destination 127\.0\.0\.1:2579/);
  assert.equal(interception.installed, true);
  assert.equal((await interception.install(2579)).outcome, "unchanged", "idempotent");
  await interception.remove();
  assert.equal(fake.chains.has("aad-metadata"), false);
  assert.equal(jumpFirst(fake), false);
  assert.match(await registry.metrics(), /podid_nmi_iptables_ensure_total\{outcome="installed"\} 1/);
  await assert.rejects(interception.install(2579), (e: unknown) => e instanceof InterceptionError && /stopping/.test(e.message));
});

test("every call waits for the xtables lock for --iptables-lock-wait-sec", async () => {
  const { fake, interception } = setup({ iptablesLockWaitSeconds: 9 });
  await interception.preflight();
  await interception.install(2579);
  await interception.remove();
  assert.ok(fake.calls.length > 3);
  for (const c of fake.calls) assert.deepEqual(c.slice(0, 2), ["-w", "9"], c.join(" "));
});

test("remove() also clears rules a previous NMI left, without having installed any", async () => {
  const previous = setup();
  await previous.interception.install(2579);
  const next = createInterception({ config: parseNmiConfig({ nodeName: "n1" }), logger: pino({ level: "silent" }), registry: new Registry(), runner: previous.fake });
  await next.remove();
  assert.equal(previous.fake.chains.has("aad-metadata"), false);
  assert.equal(jumpFirst(previous.fake), false);
  await previous.interception.remove(); // stops its verify loop; nothing left to delete
});

test("preflight: not permitted / missing / lock are InterceptionErrors with the catalog code and the local-run hint", async () => {
  const cases: Array<[string, number, string]> = [
    ["iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)\n", 4, "PODID_ERR_IPTABLES_NOT_PERMITTED"],
    ["Another app is currently holding the xtables lock. Stopped waiting after 5s.\n", 4, "PODID_ERR_IPTABLES_LOCK"],
    ["iptables v1.8.9 (nf_tables): can't initialize iptables table `nat': Table does not exist\n", 3, "PODID_ERR_IPTABLES_UNSUPPORTED"],
  ];
  for (const [stderr, code, expected] of cases) {
    const { fake, interception, registry } = setup();
    fake.fault = () => ({ code, stdout: "", stderr });
    await assert.rejects(interception.preflight(), (e: unknown) => e instanceof InterceptionError && e.code === expected && /--iptables=false/.test(e.message), expected);
    assert.match(await registry.metrics(), /podid_nmi_iptables_errors_total\{kind="[a-z-]+"\} 1/);
  }
  const missing = createInterception({
    config: parseNmiConfig({ nodeName: "n1", iptablesCommand: "/nonexistent/podid-iptables" }),
    logger: pino({ level: "silent" }), registry: new Registry(),
  });
  await assert.rejects(missing.preflight(), (e: unknown) => e instanceof InterceptionError && e.code === "PODID_ERR_IPTABLES_MISSING" && /apt-get install iptables/.test(e.message));
});

test("route_localnet check: warns and reports 0 when a pod link lacks it; ok through conf/all", async () => {
  const missing = setup({ routeLocalnet: "check" }, memSysctl({ all: "0", lo: "0", "veth-a": "0", "veth-b": "1" }));
  const r = await missing.interception.routeLocalnet();
  assert.deepEqual(r?.missing, ["veth-a"]);
  assert.ok(missing.lines.some((l) => l.level === 40 && /route_localnet=0 on veth-a/.test(l.msg)));
  assert.match(await missing.registry.metrics(), /podid_nmi_route_localnet_ok 0/);
  assert.equal(missing.sysctl.values.all, "0", "check never writes");

  const fine = setup({ routeLocalnet: "check" });
  assert.equal((await fine.interception.routeLocalnet())?.ok, true);
  assert.match(await fine.registry.metrics(), /podid_nmi_route_localnet_ok 1/);
});

test("route_localnet set: writes conf/all=1; read-only /proc/sys → PODID_ERR_ROUTE_LOCALNET naming the fix", async () => {
  const s = setup({ routeLocalnet: "set" }, memSysctl({ all: "0", "veth-a": "0" }));
  assert.equal((await s.interception.routeLocalnet())?.ok, true);
  assert.equal(s.sysctl.values.all, "1");

  const ro = setup({ routeLocalnet: "set" }, memSysctl({ all: "0", "veth-a": "0" }, true));
  await assert.rejects(ro.interception.routeLocalnet(), (e: unknown) => e instanceof InterceptionError && e.code === ROUTE_LOCALNET_ERROR && /EROFS/.test(e.message) && /--route-localnet=check/.test(e.message));
});

test("route_localnet is not consulted when it cannot matter (ignore, or a non-loopback token address)", async () => {
  const throwing: SysctlFs = { read: () => Promise.reject(new Error("must not read")), write: () => Promise.reject(new Error("must not write")), list: () => Promise.reject(new Error("must not list")) };
  assert.equal(await setup({ routeLocalnet: "ignore" }, { ...throwing, values: {} }).interception.routeLocalnet(), undefined);
  assert.equal(await setup({ tokenAddress: "10.240.0.4" }, { ...throwing, values: {} }).interception.routeLocalnet(), undefined);
});

test("config: interception on by default, off with --iptables=false; the DNAT target must be a concrete IPv4 address", () => {
  const d = parseNmiConfig({ nodeName: "n1" });
  assert.deepEqual(
    [d.iptables, d.iptablesCommand, d.iptablesLockWaitSeconds, d.iptablesUpdateIntervalSeconds, d.metadataIp, d.metadataPort, d.routeLocalnet, d.shutdownDrainMs],
    [true, "iptables", 5, 60, "169.254.169.254", 80, "check", 10_000],
  );
  assert.equal(parseNmiConfig({ nodeName: "n1", iptables: "false" }).iptables, false);
  assert.throws(() => parseNmiConfig({ nodeName: "n1", tokenAddress: "0.0.0.0" }), /tokenAddress \(--nmi-listen-address, NMI_LISTEN_ADDRESS\)/);
  assert.throws(() => parseNmiConfig({ nodeName: "n1", tokenAddress: "::1" }), /concrete IPv4/);
  assert.equal(parseNmiConfig({ nodeName: "n1", tokenAddress: "0.0.0.0", iptables: false }).tokenAddress, "0.0.0.0");
  assert.throws(() => parseNmiConfig({ nodeName: "n1", iptablesCommand: "iptables -w" }), /iptablesCommand \(--iptables-command, NMI_IPTABLES_COMMAND\)/);
});
