import { test } from "node:test";
import assert from "node:assert/strict";
import {
  chainRuleSpecs, interceptionConfig, normalizeSpec, parseListing, sameSpec, tokenize,
} from "../../../nmi/iptables/rules.ts";
import { detectDrift, planEnsure, planRemove, renderAction, type ObservedState } from "../../../nmi/iptables/plan.ts";

const cfg = interceptionConfig({ targetAddress: "127.0.0.1", targetPort: 2579 });
const DNAT = ["!", "-s", "127.0.0.1/32", "-d", "169.254.169.254/32", "-p", "tcp", "-m", "tcp", "--dport", "80",
  "-j", "DNAT", "--to-destination", "127.0.0.1:2579"];
const RET = ["-j", "RETURN"];
const JUMP = ["-j", "aad-metadata"];
const KUBE = ["-m", "comment", "--comment", "kubernetes service portals", "-j", "KUBE-SERVICES"];

test("the chain holds upstream's two rules: DNAT for non-loopback IMDS traffic, then RETURN", () => {
  assert.deepEqual(chainRuleSpecs(cfg).map((s) => s.join(" ")), [
    "! -s 127.0.0.1/32 -d 169.254.169.254/32 -p tcp --dport 80 -j DNAT --to-destination 127.0.0.1:2579",
    "-j RETURN",
  ]);
  assert.equal(cfg.chain, "aad-metadata");
});

test("config validation refuses values that would make a different or broken rule", () => {
  for (const bad of [
    { targetAddress: "localhost", targetPort: 2579 },
    { targetAddress: "127.0.0.1", targetPort: 0 },
    { targetAddress: "127.0.0.1", targetPort: 70000 },
    { targetAddress: "127.0.0.1", targetPort: 2579, chain: "ACCEPT" },
    { targetAddress: "127.0.0.1", targetPort: 2579, chain: "-j" },
    { targetAddress: "127.0.0.1", targetPort: 2579, chain: "a b" },
    { targetAddress: "127.0.0.1", targetPort: 2579, metadataIp: "169.254.169.254/32" },
  ]) assert.throws(() => interceptionConfig(bad), Error, JSON.stringify(bad));
});

test("tokenize splits -S lines and honours iptables' quoting", () => {
  assert.deepEqual(tokenize(`-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES`),
    ["-A", "PREROUTING", ...KUBE]);
  assert.deepEqual(tokenize(`-A X --comment "say \\"hi\\"" -j RETURN`), ["-A", "X", "--comment", `say "hi"`, "-j", "RETURN"]);
  assert.throws(() => tokenize(`-A X --comment "open`));
});

test("parseListing keeps -A rules only (skips -P, -N and nft's legacy-tables warning)", () => {
  const out = "# Warning: iptables-legacy tables present, use iptables-legacy to see them\n-P PREROUTING ACCEPT\n" +
    "-N aad-metadata\n-A PREROUTING -j aad-metadata\n" +
    `-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES\n`;
  assert.deepEqual(parseListing(out), [{ chain: "PREROUTING", spec: JUMP }, { chain: "PREROUTING", spec: KUBE }]);
});

test("normalizeSpec equates what we write with what nft and legacy list", () => {
  assert.ok(sameSpec(DNAT, chainRuleSpecs(cfg)[0] ?? []));
  assert.ok(sameSpec(["-s", "10.0.0.1", "-j", "X"], ["-s", "10.0.0.1/32", "-j", "X"]));
  assert.ok(!sameSpec(DNAT, [...DNAT.slice(0, -1), "127.0.0.1:2580"]));
  assert.equal(normalizeSpec(["-p", "tcp", "-m", "tcp", "--dport", "80"]), "-p tcp --dport 80");
});

const cases: { name: string; s: ObservedState; chain: string; jump: string }[] = [
  { name: "clean", s: { chainRules: [DNAT, RET], prerouting: [JUMP, KUBE] }, chain: "ok", jump: "ok" },
  { name: "nothing installed", s: { chainRules: null, prerouting: [KUBE] }, chain: "missing", jump: "missing" },
  { name: "chain flushed", s: { chainRules: [], prerouting: [JUMP] }, chain: "differs", jump: "ok" },
  { name: "old port", s: { chainRules: [[...DNAT.slice(0, -1), "127.0.0.1:9999"], RET], prerouting: [JUMP] }, chain: "differs", jump: "ok" },
  { name: "extra rule", s: { chainRules: [["-j", "ACCEPT"], DNAT, RET], prerouting: [JUMP] }, chain: "differs", jump: "ok" },
  { name: "jump second", s: { chainRules: [DNAT, RET], prerouting: [KUBE, JUMP] }, chain: "ok", jump: "not-first" },
  { name: "jump twice", s: { chainRules: [DNAT, RET], prerouting: [JUMP, KUBE, JUMP] }, chain: "ok", jump: "duplicated" },
  { name: "jump with matches", s: { chainRules: [DNAT, RET], prerouting: [["-s", "10.0.0.0/8", ...JUMP]] }, chain: "ok", jump: "modified" },
];
for (const c of cases) {
  test(`detectDrift: ${c.name} → chain ${c.chain}, jump ${c.jump}`, () => {
    assert.deepEqual(detectDrift(cfg, c.s), { chain: c.chain, jump: c.jump });
  });
}

const render = (s: ObservedState, plan = planEnsure): string[] => plan(cfg, s).map((a) => a.args.join(" "));

test("planEnsure: fresh node → create chain, append both rules, then the jump at position 1", () => {
  assert.deepEqual(render({ chainRules: null, prerouting: [KUBE] }), [
    "-N aad-metadata",
    "-A aad-metadata ! -s 127.0.0.1/32 -d 169.254.169.254/32 -p tcp --dport 80 -j DNAT --to-destination 127.0.0.1:2579",
    "-A aad-metadata -j RETURN",
    "-I PREROUTING 1 -j aad-metadata",
  ]);
});

test("planEnsure: clean state plans nothing", () => {
  assert.deepEqual(render({ chainRules: [DNAT, RET], prerouting: [JUMP] }), []);
});

test("planEnsure: a drifted chain gets the right rules on top before the stale ones go", () => {
  assert.deepEqual(render({ chainRules: [["-j", "ACCEPT"], RET], prerouting: [JUMP] }), [
    "-I aad-metadata 1 ! -s 127.0.0.1/32 -d 169.254.169.254/32 -p tcp --dport 80 -j DNAT --to-destination 127.0.0.1:2579",
    "-I aad-metadata 2 -j RETURN",
    "-D aad-metadata 3",
    "-D aad-metadata 3",
  ]);
});

test("planEnsure: a jump moved down is re-inserted first, then the old one deleted by position", () => {
  assert.deepEqual(render({ chainRules: [DNAT, RET], prerouting: [KUBE, JUMP, ["-j", "X"]] }), [
    "-I PREROUTING 1 -j aad-metadata",
    "-D PREROUTING 3",
  ]);
});

test("planEnsure: duplicates go highest position first; odd jumps by their own spec", () => {
  assert.deepEqual(render({ chainRules: [DNAT, RET], prerouting: [JUMP, KUBE, JUMP, ["-s", "10.0.0.0/8", ...JUMP], JUMP] }), [
    "-D PREROUTING 5",
    "-D PREROUTING 3",
    "-D PREROUTING -s 10.0.0.0/8 -j aad-metadata",
  ]);
});

test("planRemove: every jump, then flush, then delete the chain", () => {
  assert.deepEqual(render({ chainRules: [DNAT, RET], prerouting: [JUMP, KUBE, JUMP] }, planRemove), [
    "-D PREROUTING -j aad-metadata",
    "-D PREROUTING -j aad-metadata",
    "-F aad-metadata",
    "-X aad-metadata",
  ]);
  assert.deepEqual(render({ chainRules: null, prerouting: [KUBE] }, planRemove), []);
});

test("renderAction gives a pasteable command line", () => {
  const [first] = planEnsure(cfg, { chainRules: [DNAT, RET], prerouting: [["-m", "comment", "--comment", "a b", ...JUMP]] });
  assert.equal(first && renderAction(first), "iptables -t nat -I PREROUTING 1 -j aad-metadata");
  const all = planRemove(cfg, { chainRules: null, prerouting: [["-m", "comment", "--comment", "a b", ...JUMP]] });
  assert.equal(all[0] && renderAction(all[0]), `iptables -t nat -D PREROUTING -m comment --comment "a b" -j aad-metadata`);
});
