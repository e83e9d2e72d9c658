// Real interception, as root: pods are network namespaces, the node namespace runs the IMDS,
// NMI and podid's iptables rules; traffic to 169.254.169.254:80 from a pod is DNATed to NMI.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { createNetnsCluster, leftoverNamespaces, requireNetnsSupport, type NetnsCluster } from "../helpers/netns.ts";
import type { JsonLinesChild } from "../helpers/json-lines-child.ts";

const helper = (name: string): string => fileURLToPath(new URL(`../helpers/${name}`, import.meta.url));

interface FetchResult { status: number; body: string }

describe("netns: DNAT plumbing with stub servers", () => {
  let cluster: NetnsCluster | undefined;
  let node: JsonLinesChild;
  let podA: JsonLinesChild;
  let ready: Record<string, unknown>;

  before(async () => {
    await requireNetnsSupport();
    cluster = await createNetnsCluster({ pods: ["pa"] });
    node = cluster.spawn(cluster.nodeNs, helper("netns-node.ts"), { args: ["--mode", "stub", "--pod-links", cluster.pods.map((p) => p.nodeLink).join(",")] });
    ready = await node.ready;
    const pa = cluster.pods[0];
    assert.ok(pa);
    podA = cluster.spawn(pa.ns, helper("netns-pod.ts"));
    await podA.ready;
  });
  after(async () => {
    const runId = cluster?.runId;
    await cluster?.destroy();
    if (runId !== undefined) assert.deepEqual(await leftoverNamespaces(runId), []);
  });

  test("the node installed the rules and enabled route_localnet on the pod link", () => {
    assert.equal(ready.installed, "installed");
    assert.deepEqual(ready.routeLocalnetBefore, [cluster?.pods[0]?.nodeLink], "a fresh namespace starts with route_localnet=0");
    assert.deepEqual(ready.routeLocalnetAfter, []);
  });

  test("a pod's request to 169.254.169.254:80 lands on NMI with the pod's own source IP", async () => {
    const r = await podA.request<FetchResult>("fetch", { url: "http://169.254.169.254/metadata/identity/oauth2/token" });
    const body = JSON.parse(r.body) as { server: string; remote: string };
    assert.equal(body.server, "nmi");
    assert.equal(body.remote, cluster?.pods[0]?.ip);
  });

  test("the node's own (host-network) request reaches IMDS, not NMI", async () => {
    const r = await node.request<FetchResult>("fetch", { url: "http://169.254.169.254/metadata/instance" });
    assert.equal((JSON.parse(r.body) as { server: string }).server, "imds");
  });

  test("with route_localnet=0 on the pod link the DNATed packet is dropped (why NMI checks it)", async () => {
    const link = cluster?.pods[0]?.nodeLink;
    const report = await node.request<{ missing: string[] }>("route-localnet", { link, value: 0 });
    assert.deepEqual(report.missing, [link]);
    try {
      await assert.rejects(podA.request("fetch", { url: "http://169.254.169.254/x", timeoutMs: 700 }), /timed out/);
    } finally {
      await node.request("route-localnet", { link, value: 1 });
    }
    const r = await podA.request<FetchResult>("fetch", { url: "http://169.254.169.254/x" });
    assert.equal((JSON.parse(r.body) as { server: string }).server, "nmi");
  });

  test("drift inside the namespace (chain flushed) is repaired by the verify pass", async () => {
    await node.request("iptables-run", { args: ["-w", "5", "-t", "nat", "-F", "aad-metadata"] });
    const r = await podA.request<FetchResult>("fetch", { url: "http://169.254.169.254/x" }).catch((e: unknown) => e);
    assert.ok(!(r instanceof Error) && (JSON.parse((r as FetchResult).body) as { server: string }).server === "imds",
      "without the rules the pod reaches IMDS directly (this is what the verify loop prevents)");
    assert.deepEqual(await node.request("iptables-verify"), { repaired: true });
    const again = await podA.request<FetchResult>("fetch", { url: "http://169.254.169.254/x" });
    assert.equal((JSON.parse(again.body) as { server: string }).server, "nmi");
  });

  test("removal leaves no chain and no jump; the pod then reaches IMDS directly", async () => {
    await node.request("iptables-remove");
    const listing = await node.request<string>("iptables-listing");
    assert.doesNotMatch(listing, /aad-metadata/);
    const r = await podA.request<FetchResult>("fetch", { url: "http://169.254.169.254/x" });
    assert.equal((JSON.parse(r.body) as { server: string }).server, "imds");
  });
});
