import assert from "node:assert/strict";
import { test } from "node:test";
import { NmiConfigError, nmiConfigFromArgs, parseNmiConfig } from "../../../nmi/config.ts";

test("defaults follow upstream and the design", () => {
  const c = parseNmiConfig({ nodeName: "n1" });
  assert.equal(c.tokenAddress, "127.0.0.1");
  assert.equal(c.tokenPort, 2579);
  assert.equal(c.mode, "standard");
  assert.equal(c.metadataHeaderRequired, true);
  assert.equal(c.blockInstanceMetadata, false);
  assert.equal(c.upstreamConcurrency, 5);
  assert.equal(c.upstreamRatePerSecond, 20);
  assert.equal(c.waitBudgetMs, 10_000);
  assert.equal(c.imdsEndpoint, "http://169.254.169.254");
  assert.equal(c.namespace, undefined);
});

test("flags win over env; upstream flag names; bare boolean flags", () => {
  const c = nmiConfigFromArgs(
    ["--node=n2", "--nmi-port", "0", "--block-instance-metadata", "--metadata-header-required=false", "--imds-endpoint", "http://127.0.0.1:9999/"],
    { NODE_NAME: "from-env", NMI_WAIT_BUDGET_MS: "1500", FORCENAMESPACED: "true" },
  );
  assert.equal(c.nodeName, "n2");
  assert.equal(c.tokenPort, 0);
  assert.equal(c.blockInstanceMetadata, true);
  assert.equal(c.metadataHeaderRequired, false);
  assert.equal(c.imdsEndpoint, "http://127.0.0.1:9999");
  assert.equal(c.waitBudgetMs, 1500);
  assert.equal(c.forceNamespaced, true);
});

test("invalid configuration is a NmiConfigError naming the field", () => {
  const bad: Array<[string[], Record<string, string>, RegExp]> = [
    [[], {}, /nodeName/],
    [["--node", "n", "--operation-mode", "managed"], {}, /forceNamespaced/],
    [["--node", "n", "--operation-mode", "weird"], {}, /mode/],
    [["--node", "n", "--nmi-port", "70000"], {}, /tokenPort/],
    [["--node", "n", "--imds-endpoint", "ftp://x"], {}, /imdsEndpoint/],
    [["--node", "n", "--nope"], {}, /unknown flag --nope/],
    [["--node"], {}, /needs a value/],
    [["stray"], {}, /unexpected argument/],
  ];
  for (const [argv, env, re] of bad) {
    assert.throws(() => nmiConfigFromArgs(argv, env), (e: unknown) => e instanceof NmiConfigError && re.test(e.message), argv.join(" "));
  }
  assert.equal(nmiConfigFromArgs(["--node", "n", "--operation-mode", "managed", "--forceNamespaced"], {}).mode, "managed");
});

test("every problem is listed, each with its flag and env variable", () => {
  assert.throws(
    () => nmiConfigFromArgs(["--node=n", "--nmi-port=70000", "--iptables=maybe", "--ipt-update-interval-sec=0"], {}),
    (e: unknown) => e instanceof NmiConfigError
      && /tokenPort \(--nmi-port, NMI_PORT\): Too big/.test(e.message)
      && /iptables \(--iptables, NMI_IPTABLES\): must be true, false, 1 or 0/.test(e.message)
      && /iptablesUpdateIntervalSeconds \(--ipt-update-interval-sec, NMI_IPT_UPDATE_INTERVAL_SEC\)/.test(e.message),
  );
  const env = nmiConfigFromArgs([], { NODE_NAME: "n", NMI_IPTABLES: "0", NMI_ROUTE_LOCALNET: "set", NMI_SHUTDOWN_DRAIN_MS: "250", NMI_METADATA_PORT: "8080" });
  assert.deepEqual([env.iptables, env.routeLocalnet, env.shutdownDrainMs, env.metadataPort], [false, "set", 250, 8080]);
  assert.equal(nmiConfigFromArgs(["--node=n", "--iptables", "--iptables-command", "iptables-legacy"], {}).iptablesCommand, "iptables-legacy");
});
