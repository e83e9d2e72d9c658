import { test } from "node:test";
import assert from "node:assert/strict";
import { classifyFailure, IptablesError } from "../../../nmi/iptables/errors.ts";
import { detectBackend, execIptablesRunner } from "../../../nmi/iptables/runner.ts";
import { createIptablesManager } from "../../../nmi/iptables/manager.ts";
import { interceptionConfig } from "../../../nmi/iptables/rules.ts";

// stderr lines as printed by iptables 1.8.9 (nft and legacy builds).
const table: [number, string, string][] = [
  [4, "iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)", "not-permitted"],
  [3, "iptables v1.8.9 (legacy): can't initialize iptables table `nat': Permission denied (you must be root)", "not-permitted"],
  [4, "Another app is currently holding the xtables lock. Stopped waiting after 5s.", "lock"],
  [4, "", "lock"],
  [1, "iptables v1.8.9 (nf_tables): chain `aad-metadata' in table `nat' is incompatible, use 'nft' tool.", "no-chain"],
  [1, "iptables: No chain/target/match by that name.", "no-chain"],
  [1, "iptables v1.8.9 (nf_tables): Chain 'aad-metadata' does not exist", "no-chain"],
  [1, "iptables v1.8.9 (nf_tables): Chain already exists", "exists"],
  [1, "iptables: Chain already exists.", "exists"],
  [1, "iptables: Bad rule (does a matching rule exist in that chain?).", "no-rule"],
  [3, "iptables v1.8.9 (legacy): can't initialize iptables table `nat': Table does not exist (do you need to insmod?)", "unsupported"],
  [2, "iptables v1.8.9 (legacy): Couldn't load target `DNAT':No such file or directory", "unsupported"],
  [2, "iptables v1.8.9 (nf_tables): unknown option \"--frobnicate\"", "failed"],
];
for (const [code, stderr, kind] of table) {
  test(`classifyFailure(${code}, ${JSON.stringify(stderr.slice(0, 60))}) → ${kind}`, () => {
    assert.equal(classifyFailure(code, stderr), kind);
  });
}

test("hints name what is missing", () => {
  assert.match(new IptablesError("not-permitted", "x").message, /CAP_NET_ADMIN.*NET_RAW/s);
  assert.match(new IptablesError("missing-binary", "x").message, /install the 'iptables' package/);
  assert.equal(new IptablesError("lock", "x").code, "PODID_ERR_IPTABLES_LOCK");
});

test("a missing binary rejects with missing-binary and the package to install", async () => {
  const runner = execIptablesRunner({ command: ["/nonexistent/podid-iptables"] });
  await assert.rejects(runner.run(["-S"]), (e: unknown) =>
    e instanceof IptablesError && e.kind === "missing-binary" && /apt-get install iptables/.test(e.message));
  const mgr = createIptablesManager({ runner, config: interceptionConfig({ targetAddress: "127.0.0.1", targetPort: 2579 }) });
  await assert.rejects(mgr.ensure(), (e: unknown) => e instanceof IptablesError && e.code === "PODID_ERR_IPTABLES_MISSING");
});

test("the exec runner passes exit status and stderr through (a real process that refuses like non-root iptables)", async () => {
  const script = "echo 'iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)' >&2; exit 4";
  const runner = execIptablesRunner({ command: ["sh", "-c", script, "iptables"] });
  const r = await runner.run(["-t", "nat", "-S"]);
  assert.equal(r.code, 4);
  const mgr = createIptablesManager({ runner, config: interceptionConfig({ targetAddress: "127.0.0.1", targetPort: 2579 }) });
  await assert.rejects(mgr.ensure(), (e: unknown) => e instanceof IptablesError && e.kind === "not-permitted" && e.exitCode === 4);
});

test("a hung iptables is killed after timeoutMs and reported as a lock problem", async () => {
  const runner = execIptablesRunner({ command: ["sleep", "5"], timeoutMs: 100 });
  const r = await runner.run([]);
  assert.equal(classifyFailure(r.code, r.stderr), "lock");
});

test("detectBackend reads the (nf_tables)/(legacy) tag of --version", async () => {
  const echo = (v: string) => execIptablesRunner({ command: ["sh", "-c", `echo '${v}'`, "iptables"] });
  assert.equal((await detectBackend(echo("iptables v1.8.9 (nf_tables)"))).backend, "nf_tables");
  assert.equal((await detectBackend(echo("iptables v1.8.9 (legacy)"))).backend, "legacy");
  assert.equal((await detectBackend(echo("iptables v1.6.1"))).backend, "legacy");
});
