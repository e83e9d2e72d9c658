// The DaemonSet entry point itself, as root, in a node namespace the test creates: nmi/main.ts
// (a child process, configured by flags like the manifest) installs aad-metadata before it
// serves, sets route_localnet, repairs drift with its verify loop, and on SIGTERM removes the
// rules and exits 0. Peers (kube-apiserver, IMDS on 169.254.169.254) run in the same namespace.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { decodeTestToken } from "../../sandbox/peers/imds/index.ts";
import type { JsonLinesChild } from "../helpers/json-lines-child.ts";
import { createNetnsCluster, leftoverNamespaces, requireNetnsSupport, type NetnsCluster } from "../helpers/netns.ts";
import { NETNS_NODE_NAME } from "../helpers/netns-node-nmi.ts";
import { NmiMainProcess } from "../helpers/netns-nmi-main.ts";

const helper = (name: string): string => fileURLToPath(new URL(`../helpers/${name}`, import.meta.url));
const ID = { name: "id-a", clientID: "aaaaaaaa-0000-4000-8000-00000000000a", selector: "sel-a" };
const TOKEN_PATH = `/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net&client_id=${ID.clientID}`;

function hostLinks(): string {
  return execFileSync("ip", ["-o", "addr", "show"], { encoding: "utf8" }).split("\n").map((l) => l.split(/\s+/).slice(1, 4).join(" ")).sort().join("\n");
}

interface FetchResult { status: number; body: string; server: string }

describe("nmi/main.ts in a node namespace: rules at start, repaired, removed on SIGTERM", () => {
  let cluster: NetnsCluster | undefined;
  let peers: JsonLinesChild;
  let podA: JsonLinesChild;
  let nmi: NmiMainProcess | undefined;
  let dir = "";
  let hostBefore = "";
  let routeLocalnetBefore = "";

  const nat = async (): Promise<string> => {
    assert.ok(cluster);
    const r = await cluster.exec(cluster.nodeNs, ["iptables", "-w", "5", "-t", "nat", "-S"]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };
  const main = (): NmiMainProcess => {
    assert.ok(nmi, "nmi/main.ts started");
    return nmi;
  };

  before(async () => {
    await requireNetnsSupport();
    hostBefore = hostLinks();
    dir = mkdtempSync(join(tmpdir(), "podid-nmi-main-"));
    const kubeconfig = join(dir, "kubeconfig");
    cluster = await createNetnsCluster({ pods: ["pa"] });
    const pa = cluster.pods[0];
    assert.ok(pa);
    peers = cluster.spawn(cluster.nodeNs, helper("netns-peers.ts"), { args: ["--kubeconfig", kubeconfig] });
    podA = cluster.spawn(pa.ns, helper("netns-pod.ts"));
    await Promise.all([peers.ready, podA.ready]);
    await peers.request("seed", { pods: [{ name: "pa", ip: pa.ip, selector: ID.selector }], identities: [ID] });
    routeLocalnetBefore = (await cluster.exec(cluster.nodeNs, ["cat", "/proc/sys/net/ipv4/conf/all/route_localnet"])).stdout.trim();
    // The manifest's flags (fixed port 2579), plus what a test needs: short verify interval,
    // short drain, route_localnet set (kube-proxy's job on a real node; none runs here).
    nmi = new NmiMainProcess({
      ns: cluster.nodeNs,
      args: [
        "--operation-mode=standard", "--nmi-listen-address=127.0.0.1", "--nmi-port=2579", "--http-probe-port=8085", "--prometheus-port=9090",
        "--probe-address=127.0.0.1", "--ipt-update-interval-sec=1", "--route-localnet=set", "--shutdown-drain-ms=500", "--wait-budget-ms=5000",
      ],
      env: { ...process.env, NODE_NAME: NETNS_NODE_NAME, KUBECONFIG: kubeconfig, LOG_LEVEL: "info" },
    });
    await nmi.waitForLog("NMI ready", 60_000);
  });

  after(async () => {
    nmi?.killNow();
    await nmi?.exited;
    const runId = cluster?.runId;
    await cluster?.destroy();
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
    if (runId !== undefined) assert.deepEqual(await leftoverNamespaces(runId), [], "every namespace removed");
    assert.equal(hostLinks(), hostBefore, "the machine's own namespace has the same links");
  });

  test("at start: aad-metadata is first in PREROUTING, DNAT to 127.0.0.1:2579, installed before NMI served", async () => {
    const listing = await nat();
    const prerouting = listing.split("\n").filter((l) => l.startsWith("-A PREROUTING"));
    assert.equal(prerouting[0], "-A PREROUTING -j aad-metadata");
    assert.match(listing, /-A aad-metadata ! -s 127\.0\.0\.1\/32 -d 169\.254\.169\.254\/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 127\.0\.0\.1:2579/);
    assert.match(listing, /-A aad-metadata -j RETURN/);
    const installed = main().indexOf("iptables rules installed");
    assert.ok(installed !== -1 && installed < main().indexOf("NMI ready"), "rules before the token port (fail closed while informers sync)");
  });

  test("route_localnet: off in the fresh namespace, set by --route-localnet=set", async () => {
    assert.ok(cluster);
    assert.equal(routeLocalnetBefore, "0");
    const now = await cluster.exec(cluster.nodeNs, ["cat", "/proc/sys/net/ipv4/conf/all/route_localnet"]);
    assert.equal(now.stdout.trim(), "1");
    assert.notEqual(main().indexOf("set net.ipv4.conf.all.route_localnet=1"), -1);
  });

  test("a pod's plain request to 169.254.169.254 is answered by this NMI with its own identity's token", async () => {
    const r = await podA.request<FetchResult>("fetch", { url: `http://169.254.169.254${TOKEN_PATH}`, headers: { Metadata: "true" } });
    assert.equal(r.status, 200, r.body);
    assert.doesNotMatch(r.server, /^IMDS\//, "NMI answered, not the IMDS peer");
    assert.equal(decodeTestToken((JSON.parse(r.body) as { access_token: string }).access_token).appid, ID.clientID);
  });

  test("drift (chain flushed by someone else) is repaired by main's verify loop", async () => {
    assert.ok(cluster);
    const flush = await cluster.exec(cluster.nodeNs, ["iptables", "-w", "5", "-t", "nat", "-F", "aad-metadata"]);
    assert.equal(flush.code, 0, flush.stderr);
    await main().waitForLog("iptables drift repaired", 10_000);
    assert.match(await nat(), /--to-destination 127\.0\.0\.1:2579/);
  });

  test("SIGTERM: rules removed before NMI stops, exit 0; the pod then reaches IMDS directly", async () => {
    const p = main();
    p.signal("SIGTERM");
    const { code, signal } = await p.exit(20_000);
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, `stderr:\n${p.stderr}\nlogs:\n${p.logText()}`);
    const removed = p.indexOf("iptables rules removed");
    assert.ok(removed !== -1 && removed < p.indexOf("NMI stopped"), "rules first, then the servers");
    assert.doesNotMatch(await nat(), /aad-metadata/);
    const r = await podA.request<FetchResult>("fetch", { url: "http://169.254.169.254/metadata/instance?api-version=2021-02-01", headers: { Metadata: "true" } });
    assert.match(r.server, /^IMDS\//, "no interception left");
  });
});
