// The container entry point refuses invalid configuration with exit code 2 and a clear message,
// and a node where interception cannot be installed with exit code 3.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

function runMain(args: string[], env: Record<string, string>): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", "nmi/main.ts", ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    encoding: "utf8",
    timeout: 20_000,
  });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

test("invalid configuration → exit 2 with the reason on stderr", () => {
  const missing = runMain([], {});
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /invalid NMI configuration: nodeName/);
  const managed = runMain(["--operation-mode=managed"], { NODE_NAME: "n1" });
  assert.equal(managed.status, 2);
  assert.match(managed.stderr, /managed mode requires forceNamespaced/);
});

test("interception settings are validated: a wildcard listen address cannot be a DNAT target → exit 2 naming the flag", () => {
  const r = runMain(["--nmi-listen-address=0.0.0.0"], { NODE_NAME: "n1" });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /tokenAddress \(--nmi-listen-address, NMI_LISTEN_ADDRESS\): .*concrete IPv4/);
  assert.match(r.stderr, /--iptables=false/);
  const bad = runMain(["--route-localnet=maybe", "--metadata-ip=169.254.169"], { NODE_NAME: "n1" });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /routeLocalnet \(--route-localnet, NMI_ROUTE_LOCALNET\)/);
  assert.match(bad.stderr, /metadataIp \(--metadata-ip, NMI_METADATA_IP\): must be an IPv4 address/);
});

test("an unreadable KUBECONFIG → exit 2 with the reason, not a stack trace", () => {
  const r = runMain(["--iptables=false"], { NODE_NAME: "n1", KUBECONFIG: "/nonexistent/podid-kubeconfig" });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^nmi: cannot load the Kubernetes client configuration .*ENOENT/m);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
});

test("iptables unavailable → exit 3 before any Kubernetes call, with the catalog code and the fix", () => {
  // Nothing is executed: the binary does not exist (so this needs no root and changes nothing).
  const r = runMain(["--iptables-command=/nonexistent/podid-iptables", "--probe-address=127.0.0.1", "--http-probe-port=0", "--prometheus-port=0"], {
    NODE_NAME: "n1",
  });
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stderr, /cannot set up IMDS interception \[PODID_ERR_IPTABLES_MISSING\]/);
  assert.match(r.stderr, /install the 'iptables' package/);
  assert.match(r.stderr, /--iptables=false/);
  assert.doesNotMatch(r.stdout, /starting informers/);
});
