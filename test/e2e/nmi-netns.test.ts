// Real interception, as root: pods are network namespaces, the node namespace runs the IMDS,
// NMI and podid's iptables rules; traffic to 169.254.169.254:80 from a pod is DNATed to NMI.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createNetnsCluster, leftoverNamespaces, requireNetnsSupport, type NetnsCluster } from "../helpers/netns.ts";
import type { JsonLinesChild } from "../helpers/json-lines-child.ts";
import { decodeTestToken } from "../../sandbox/peers/imds/index.ts";

const helper = (name: string): string => fileURLToPath(new URL(`../helpers/${name}`, import.meta.url));

interface FetchResult { status: number; body: string }

/** Link names and addresses of the machine's own namespace (must not change). */
function hostLinks(): string {
  return execFileSync("ip", ["-o", "addr", "show"], { encoding: "utf8" }).split("\n").map((l) => l.split(/\s+/).slice(1, 4).join(" ")).sort().join("\n");
}

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

// A workload environment with nothing that points an SDK anywhere but the real IMDS address.
function podEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(AZURE_|IDENTITY_|MSI_|IMDS_)/.test(k)) continue;
    env[k] = v;
  }
  return env;
}

interface CredentialResult { ok: boolean; token?: string; name?: string; message?: string; statusCode?: number }

describe("netns: real NMI, real @azure/identity in pod namespaces", () => {
  let cluster: NetnsCluster | undefined;
  let node: JsonLinesChild;
  const pods = new Map<string, JsonLinesChild>();
  const ids = {
    a: { name: "id-a", clientID: "aaaaaaaa-0000-4000-8000-00000000000a", selector: "sel-a" },
    b: { name: "id-b", clientID: "bbbbbbbb-0000-4000-8000-00000000000b", selector: "sel-b" },
  };
  const scope = "https://vault.azure.net/.default";
  const pod = (name: string): JsonLinesChild => {
    const c = pods.get(name);
    assert.ok(c, `pod ${name} started`);
    return c;
  };

  let hostLinksBefore = "";

  before(async () => {
    await requireNetnsSupport();
    hostLinksBefore = hostLinks();
    cluster = await createNetnsCluster({ pods: ["pa", "pb"] });
    node = cluster.spawn(cluster.nodeNs, helper("netns-node.ts"), {
      args: ["--mode", "nmi", "--pod-links", cluster.pods.map((p) => p.nodeLink).join(",")], readyTimeoutMs: 60_000,
    });
    const [pa, pb] = cluster.pods;
    assert.ok(pa && pb);
    const starting = cluster.pods.map((p) => {
      const c = cluster?.spawn(p.ns, helper("netns-pod.ts"), { env: podEnv() });
      assert.ok(c);
      pods.set(p.name, c);
      return c.ready;
    });
    await Promise.all([node.ready, ...starting]);
    await node.request("seed", {
      pods: [{ name: "pa", ip: pa.ip, selector: ids.a.selector }, { name: "pb", ip: pb.ip, selector: ids.b.selector }],
      identities: [ids.a, ids.b],
    });
  });
  after(async () => {
    const runId = cluster?.runId;
    await cluster?.destroy();
    if (runId !== undefined) assert.deepEqual(await leftoverNamespaces(runId), [], "every namespace removed");
    assert.equal(hostLinks(), hostLinksBefore, "the machine's own namespace has the same links");
  });

  test("ManagedIdentityCredential({ clientId }) in pod A, unconfigured, gets a token for A's identity via 169.254.169.254", async () => {
    const r = await pod("pa").request<CredentialResult>("credential", { clientId: ids.a.clientID, scope });
    assert.equal(r.ok, true, `credential failed: ${r.name ?? ""} ${r.message ?? ""}`);
    const claims = decodeTestToken(r.token ?? "");
    assert.equal(claims.appid, ids.a.clientID);
    assert.equal(claims.aud, "https://vault.azure.net");
  });

  test("pod B asking for A's identity is refused: the credential throws and the raw request gets 403", async () => {
    const r = await pod("pb").request<CredentialResult>("credential", { clientId: ids.a.clientID, scope });
    assert.equal(r.ok, false, "B must not get A's token");
    // msal surfaces NMI's 403 body: the IMDS "forbidden" error and our description.
    assert.match(r.message ?? "", /forbidden.*not bound to this pod/s);
    const raw = await pod("pb").request<FetchResult>("fetch", {
      url: `http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net&client_id=${ids.a.clientID}`,
      headers: { Metadata: "true" },
    });
    assert.equal(raw.status, 403, raw.body);
  });

  test("pod B gets its own identity's token", async () => {
    const r = await pod("pb").request<CredentialResult>("credential", { clientId: ids.b.clientID, scope });
    assert.equal(r.ok, true, `credential failed: ${r.name ?? ""} ${r.message ?? ""}`);
    assert.equal(decodeTestToken(r.token ?? "").appid, ids.b.clientID);
  });

  test("host-network traffic from the node namespace goes straight to IMDS (not intercepted)", async () => {
    const before = await node.request<{ imdsTokenRequests: number }>("stats");
    const r = await node.request<FetchResult & { server: string }>("fetch", {
      url: `http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://storage.azure.com&client_id=${ids.a.clientID}`,
      headers: { Metadata: "true" },
    });
    assert.equal(r.status, 200, r.body);
    assert.match(r.server, /^IMDS\//, "answered by the IMDS peer itself");
    const after = await node.request<{ imdsTokenRequests: number }>("stats");
    assert.equal(after.imdsTokenRequests - before.imdsTokenRequests, 1);
  });
});
