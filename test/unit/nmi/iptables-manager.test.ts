import { test } from "node:test";
import assert from "node:assert/strict";
import { createIptablesManager, type EnsureResult } from "../../../nmi/iptables/manager.ts";
import { interceptionConfig } from "../../../nmi/iptables/rules.ts";
import { IptablesError } from "../../../nmi/iptables/errors.ts";
import { FakeIptables } from "../../helpers/fake-iptables.ts";

const cfg = interceptionConfig({ targetAddress: "127.0.0.1", targetPort: 2579 });
const INTERCEPTED = "DNAT 127.0.0.1:2579";
const KUBE = ["-m", "comment", "--comment", "kubernetes service portals", "-j", "KUBE-SERVICES"];

function setup(): { fake: FakeIptables; mgr: ReturnType<typeof createIptablesManager>; results: EnsureResult[]; errors: IptablesError[] } {
  const fake = new FakeIptables();
  fake.chains.set("KUBE-SERVICES", []);
  fake.chains.get("PREROUTING")?.push(KUBE);
  const results: EnsureResult[] = [];
  const errors: IptablesError[] = [];
  const mgr = createIptablesManager({
    runner: fake, config: cfg, lockWaitSeconds: 7,
    hooks: { onEnsure: (r) => results.push(r), onError: (e) => errors.push(e) },
  });
  return { fake, mgr, results, errors };
}

const pr = (f: FakeIptables): string[] => (f.chains.get("PREROUTING") ?? []).map((r) => r.join(" "));
const mutations = (f: FakeIptables): string[] =>
  f.calls.filter((c) => !c.includes("-S") && c[0] !== "--version").map((c) => c.slice(4).join(" "));

test("first ensure installs chain, rules and the jump at PREROUTING position 1; pods are intercepted, loopback is not", async () => {
  const { fake, mgr, results } = setup();
  const r = await mgr.ensure();
  assert.equal(r.outcome, "installed");
  assert.equal(r.repaired, true);
  assert.deepEqual(pr(fake), ["-j aad-metadata", KUBE.join(" ")]);
  assert.equal(fake.chains.get("aad-metadata")?.length, 2);
  assert.equal(fake.route(fake.tracePacket), INTERCEPTED);
  assert.equal(fake.route({ ...fake.tracePacket, src: "127.0.0.1" }), null, "loopback source not intercepted");
  assert.equal(fake.route({ ...fake.tracePacket, dport: 443 }), null, "other ports not intercepted");
  assert.equal(results.length, 1);
  // every call waits for the xtables lock and targets nat
  for (const c of fake.calls) assert.deepEqual(c.slice(0, 4), ["-w", "7", "-t", "nat"], c.join(" "));
});

test("second ensure only reads (-S) and reports unchanged", async () => {
  const { fake, mgr } = setup();
  await mgr.ensure();
  const before = fake.calls.length;
  const r = await mgr.ensure();
  assert.equal(r.outcome, "unchanged");
  assert.equal(r.repaired, false);
  assert.ok(fake.calls.slice(before).every((c) => c.includes("-S")), "no mutation on a clean state");
});

const drifts: { name: string; tamper: (f: FakeIptables) => void; gapless: boolean }[] = [
  { name: "chain flushed", tamper: (f) => { f.chains.set("aad-metadata", []); }, gapless: false },
  { name: "DNAT to an old port", tamper: (f) => { const r = f.chains.get("aad-metadata"); if (r?.[0]) r[0] = [...r[0].slice(0, -1), "127.0.0.1:1111"]; }, gapless: false },
  { name: "ACCEPT inserted in our chain", tamper: (f) => { f.chains.get("aad-metadata")?.splice(1, 0, ["-j", "ACCEPT"]); }, gapless: true },
  { name: "jump deleted", tamper: (f) => { f.chains.get("PREROUTING")?.shift(); }, gapless: false },
  { name: "jump pushed to position 2", tamper: (f) => { f.chains.get("PREROUTING")?.unshift(["-j", "KUBE-SERVICES"]); }, gapless: true },
  { name: "jump duplicated", tamper: (f) => { f.chains.get("PREROUTING")?.push(["-j", "aad-metadata"], ["-j", "aad-metadata"]); }, gapless: true },
  { name: "jump narrowed by a match", tamper: (f) => { const p = f.chains.get("PREROUTING"); if (p) p[0] = ["-s", "10.9.0.0/16", "-j", "aad-metadata"]; }, gapless: false },
  { name: "everything removed (nat flushed)", tamper: (f) => { f.chains.get("PREROUTING")?.shift(); f.chains.delete("aad-metadata"); }, gapless: false },
];
for (const d of drifts) {
  test(`drift "${d.name}" is detected and repaired${d.gapless ? " without an interception gap" : ""}`, async () => {
    const { fake, mgr, results } = setup();
    await mgr.ensure();
    d.tamper(fake);
    fake.interceptionTrace.length = 0;
    const r = await mgr.ensure();
    assert.equal(r.repaired, true);
    assert.ok(r.commands.length > 0);
    assert.deepEqual(pr(fake).filter((x) => x.includes("aad-metadata")), ["-j aad-metadata"], "exactly one plain jump");
    assert.equal(pr(fake)[0], "-j aad-metadata", "jump is first");
    assert.equal(fake.route(fake.tracePacket), INTERCEPTED);
    assert.equal((await mgr.ensure()).repaired, false, "repair converged");
    if (d.gapless) assert.deepEqual(fake.interceptionTrace.filter((t) => t !== INTERCEPTED), [], "interception held after every command");
    assert.equal(results.at(-2)?.outcome, d.name.startsWith("everything") ? "installed" : "repaired");
  });
}

test("remove deletes the jump before flushing and deleting the chain, and is idempotent", async () => {
  const { fake, mgr } = setup();
  await mgr.ensure();
  fake.chains.get("PREROUTING")?.push(["-j", "aad-metadata"]);
  fake.calls.length = 0;
  await mgr.remove();
  assert.deepEqual(mutations(fake), ["-D PREROUTING -j aad-metadata", "-D PREROUTING -j aad-metadata", "-F aad-metadata", "-X aad-metadata"]);
  assert.equal(fake.chains.has("aad-metadata"), false);
  assert.deepEqual(pr(fake), [KUBE.join(" ")], "other rules untouched");
  fake.calls.length = 0;
  const again = await mgr.remove();
  assert.deepEqual(again.commands, []);
  assert.deepEqual(mutations(fake), []);
});

test("a chain iptables-nft cannot list but that exists is taken over (flush) instead of failing", async () => {
  const { fake, mgr } = setup();
  fake.chains.set("aad-metadata", [["-j", "ACCEPT"]]);
  fake.fault = (a) => (a.includes("-S") && a.includes("aad-metadata")
    ? { code: 1, stdout: "", stderr: "iptables v1.8.9 (nf_tables): chain `aad-metadata' in table `nat' is incompatible, use 'nft' tool.\n" }
    : undefined);
  await assert.rejects(mgr.ensure(), (e: unknown) => e instanceof IptablesError && e.kind === "drift-persists");
  assert.deepEqual(fake.chains.get("aad-metadata")?.map((r) => r.at(-1)), ["127.0.0.1:2579", "RETURN"], "flushed and rebuilt");
});

test("rules that keep changing under us end in drift-persists, reported through the error hook", async () => {
  const { fake, mgr, errors } = setup();
  let n = 0;
  fake.fault = (a) => (a[4] === "-A" && a[5] === "aad-metadata" && n++ === 0 ? { code: 0, stdout: "", stderr: "" } : undefined);
  await assert.rejects(mgr.ensure(), (e: unknown) => e instanceof IptablesError && e.code === "PODID_ERR_IPTABLES_DRIFT_PERSISTS");
  assert.equal(errors[0]?.kind, "drift-persists");
  assert.equal((await mgr.ensure()).repaired, true, "the next pass repairs it");
});

test("not being root surfaces as not-permitted naming the capability", async () => {
  const { fake, mgr } = setup();
  fake.fault = () => ({ code: 4, stdout: "", stderr: "iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)\n" });
  await assert.rejects(mgr.ensure(), (e: unknown) =>
    e instanceof IptablesError && e.kind === "not-permitted" && /CAP_NET_ADMIN/.test(e.message) && e.code === "PODID_ERR_IPTABLES_NOT_PERMITTED");
});

test("ensure and remove never interleave", async () => {
  const { fake, mgr } = setup();
  await Promise.all([mgr.ensure(), mgr.remove(), mgr.ensure()]);
  // serial order: install, remove, install again → final state installed and clean
  assert.equal(fake.route(fake.tracePacket), INTERCEPTED);
  assert.equal((await mgr.ensure()).repaired, false);
});
