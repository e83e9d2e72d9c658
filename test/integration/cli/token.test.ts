// `podid token` against a real NMI (buildNmi) and the IMDS peer: through the kube peer's pod
// proxy (as `podid` does by default) and directly (--nmi-url); then `podid diagnose` reading
// that NMI's real log lines through the pod log endpoint.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { decodeTestToken } from "../../../sandbox/peers/imds/index.ts";
import { kubeconfigFor, nmiPodObject, nodeObject, put, runPodid } from "../../helpers/cli-harness.ts";
import { assigned, binding, identity, pod } from "../../helpers/nmi-fixtures.ts";
import { NmiHarness } from "../../helpers/nmi-harness.ts";

let h: NmiHarness;
let kube: { path: string; cleanup(): void };
let env: Record<string, string>;
const id = identity("web-id", { clientID: "12345678-aaaa-bbbb-cccc-1234567890ab" });
const NMI_POD = "podid-nmi-node-a";

before(async () => {
  h = await NmiHarness.start();
  kube = kubeconfigFor(h.kube);
  env = { KUBECONFIG: kube.path };
  h.kube.ensureNamespace("podid-system");
  put(h.kube, "nodes", nodeObject("node-a", "vmss-a", 0));
  // NMI listens on 127.0.0.1 here, which is also the NMI pod's IP: the pod proxy reaches it
  // from loopback, as /host/token/ requires.
  put(h.kube, "pods", nmiPodObject("node-a", { name: NMI_POD, ip: "127.0.0.1", port: h.nmi.addresses.token.port }));
  h.assignToHost(id);
  const web = pod("web-1", { ip: "127.0.0.2", label: "web" });
  await h.apply("azureidentities", id);
  await h.apply("azureidentitybindings", binding("web-binding", "web-id", "web"));
  await h.apply("pods", web);
  await h.apply("pods", pod("lost-1", { ip: "127.0.0.3" }));
  await h.apply("azureassignedidentities", assigned(web, id, { status: "Assigned" }));
});

after(async () => {
  await h.close();
  kube.cleanup();
});

test("through the API server's pod proxy: identity (redacted), audience, expiry; never the token by default", async () => {
  const r = await runPodid(["token", "web-1", "--resource", "https://vault.azure.net"], env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Via\s+NMI podid-system\/podid-nmi-node-a \(port \d+\) via the API server's pod proxy$/m);
  assert.match(r.stdout, /^Client id\s+1234##### REDACTED #####90ab$/m);
  assert.match(r.stdout, /^Audience\s+https:\/\/vault\.azure\.net$/m);
  assert.match(r.stdout, /^Expires\s+\d{4}-\d\d-\d\dT.*Z \(in \d+s\)$/m);
  assert.match(r.stdout, /^Token\s+\(hidden; --show-token prints it\)$/m);
  assert.doesNotMatch(r.stdout, /eyJ/);
  assert.ok(!r.stdout.includes(id.spec.clientID ?? "?"));
  const proxied = h.kube.requests.find((q) => q.path.includes("/proxy/host/token/"));
  assert.ok(proxied);
  assert.match(proxied.path, new RegExp(`^/api/v1/namespaces/podid-system/pods/${NMI_POD}:\\d+/proxy/host/token/$`));
});

test("-o json --show-token: the token is the pod's identity's token for the resource", async () => {
  const r = await runPodid(["token", "web-1", "--resource", "https://storage.azure.com/", "-o", "json", "--show-token"], env);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { accessToken: string; clientId: string; audience: string; via: { kind: string }; expiresInSeconds: number; pod: string };
  assert.equal(out.via.kind, "proxy");
  assert.equal(out.pod, "default/web-1");
  assert.equal(out.clientId, "1234##### REDACTED #####90ab");
  assert.ok(out.expiresInSeconds > 0);
  const claims = decodeTestToken(out.accessToken);
  assert.equal(claims.appid, id.spec.clientID);
  assert.equal(claims.aud, out.audience);
});

test("--nmi-url talks to NMI directly (port-forward style)", async () => {
  const r = await runPodid(["token", "web-1", "--resource", "https://vault.azure.net", "--nmi-url", h.nmi.tokenUrl, "--client-id", id.spec.clientID ?? ""], env);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Via\s+NMI at http:\/\/127\.0\.0\.1:\d+$/m);
});

test("NMI refusals are exit 1 with NMI's code: nothing bound, identity not permitted", async () => {
  const lost = await runPodid(["token", "lost-1", "--resource", "https://vault.azure.net"], env);
  assert.equal(lost.code, 1);
  assert.match(lost.stderr, /^error: NMI refused the token request: 403 PODID_NMI_NO_IDENTITY_BOUND — /);
  const other = await runPodid(["token", "web-1", "--resource", "https://vault.azure.net", "--client-id", "99999999-0000-0000-0000-000000000000"], env);
  assert.equal(other.code, 1);
  assert.match(other.stderr, /403 PODID_NMI_IDENTITY_NOT_PERMITTED/);
});

test("an unreachable NMI port through the proxy: exit 2 with the port-forward hint; unknown pod: exit 2", async () => {
  const r = await runPodid(["token", "web-1", "--resource", "r", "--nmi-port", "1"], env);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^error: could not reach NMI \(503\): error trying to reach service: dial tcp 127\.0\.0\.1:1: connect: connection refused\nhint: NMI's token port listens on 127\.0\.0\.1 in production: kubectl -n podid-system port-forward pod\/podid-nmi-node-a 2579:1, then --nmi-url http:\/\/127\.0\.0\.1:2579\n$/);
  const ghost = await runPodid(["token", "ghost", "--resource", "r"], env);
  assert.equal(ghost.code, 2);
  assert.match(ghost.stderr, /pod "ghost" not found in namespace "default"/);
});

test("diagnose reads the real NMI's log lines for the pod through the pod log endpoint", async () => {
  // The pod's last request (previous test) asked for a client id not bound to it.
  h.kube.setPodLog("podid-system", NMI_POD, h.logText());
  const denied = await runPodid(["diagnose", "web-1"], env);
  assert.equal(denied.code, 1, denied.stdout + denied.stderr);
  assert.match(denied.stdout, /^Verdict: NMI refused the pod's last token request at \S+: PODID_NMI_IDENTITY_NOT_PERMITTED \(.+\) — the pod asked for a client_id/m);
  // A good request afterwards: healthy again, the earlier denial still listed.
  assert.equal((await runPodid(["token", "web-1", "--resource", "https://vault.azure.net"], env)).code, 0);
  h.kube.setPodLog("podid-system", NMI_POD, h.logText());
  const web = await runPodid(["diagnose", "web-1"], env);
  assert.equal(web.code, 0, web.stdout + web.stderr);
  assert.match(web.stdout, /^Verdict: healthy: identity "web-id" is Assigned on vmss-a$/m);
  assert.match(web.stdout, /NMI log \(podid-nmi-node-a; [1-9]\d* line\(s\) about this pod/);
  assert.match(web.stdout, /200\s+token\s+-\s+host:/);
  assert.match(web.stdout, /403\s+denied\s+PODID_NMI_IDENTITY_NOT_PERMITTED/);
  const lost = await runPodid(["diagnose", "lost-1", "-o", "json"], env);
  const out = JSON.parse(lost.stdout) as { verdict: { kind: string }; nmiLogs: { lines: Array<{ status: number; code: string }> } };
  assert.equal(out.verdict.kind, "pod-not-labelled");
  assert.deepEqual(out.nmiLogs.lines.map((l) => [l.status, l.code]), [[403, "PODID_NMI_NO_IDENTITY_BOUND"]]);
});
