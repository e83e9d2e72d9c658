// Type-0 identities end to end over loopback: pods are 127.0.0.x source addresses, tokens come
// from the IMDS peer only for identities on the node's host.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { decodeTestToken } from "../../../sandbox/peers/imds/index.ts";
import { assigned, binding, exception, identity, pod } from "../../helpers/nmi-fixtures.ts";
import { NmiHarness } from "../../helpers/nmi-harness.ts";

let h: NmiHarness;
const idA = identity("id-a");
const podA = pod("pod-a", { ip: "127.0.0.2", label: "sel-a" });

before(async () => {
  h = await NmiHarness.start({ nmi: { waitBudgetMs: 1500, blockInstanceMetadata: true } });
  h.assignToHost(idA);
  await h.apply("pods", podA);
  await h.apply("azureidentities", idA);
  await h.apply("azureassignedidentities", assigned(podA, idA, { status: "Assigned" }));
});
after(() => h.close());

test("type 0: IMDS-identical JSON, every value a string, token for the identity's client id", async () => {
  const r = await h.token("127.0.0.2", { resource: "https://vault.azure.net" });
  assert.equal(r.status, 200, r.text);
  for (const k of ["access_token", "client_id", "expires_in", "expires_on", "ext_expires_in", "not_before", "resource", "token_type"]) {
    assert.equal(typeof r.json[k], "string", k);
  }
  assert.equal(r.json.client_id, idA.spec.clientID);
  assert.equal(r.json.resource, "https://vault.azure.net");
  assert.equal(r.json.token_type, "Bearer");
  const claims = decodeTestToken(String(r.json.access_token));
  assert.equal(claims.appid, idA.spec.clientID);
  assert.equal(claims.aud, "https://vault.azure.net");
  const expiresIn = Number(r.json.expires_in);
  assert.ok(Math.abs(Number(r.json.expires_on) - Date.now() / 1000 - expiresIn) <= 2);
});

test("resource with or without trailing slash shares the cache; msi_res_id is echoed", async () => {
  const before = h.imds.tokensIssued();
  const a = await h.token("127.0.0.2", { resource: "https://storage.azure.com/" });
  const b = await h.token("127.0.0.2", { resource: "https://storage.azure.com" });
  assert.equal(a.status, 200);
  assert.equal(b.status, 200);
  assert.equal(a.json.access_token, b.json.access_token);
  assert.equal(a.json.resource, "https://storage.azure.com/");
  assert.equal(h.imds.tokensIssued() - before, 1);
  const c = await h.token("127.0.0.2", { resource: "https://storage.azure.com", msi_res_id: String(idA.spec.resourceID).toUpperCase() });
  assert.equal(c.status, 200);
  assert.equal(c.json.msi_res_id, String(idA.spec.resourceID).toUpperCase());
  const d = await h.token("127.0.0.2", { resource: "https://storage.azure.com", mi_res_id: String(idA.spec.resourceID) });
  assert.equal(d.status, 200);
});

test("400s answer fast: missing/incorrect Metadata header, missing resource, repeated parameters", async () => {
  const probe = await h.request("/metadata/identity/oauth2/token", { from: "127.0.0.2", headers: { Accept: "application/json" } });
  assert.equal(probe.status, 400);
  assert.equal(probe.code, "PODID_NMI_METADATA_HEADER_REQUIRED");
  assert.deepEqual(probe.json, { error: "invalid_request", error_description: "Required metadata header not specified" });
  assert.ok(probe.ms < 500);
  const wrong = await h.token("127.0.0.2", { resource: "r" }, { Metadata: "True" });
  assert.equal(wrong.code, "PODID_NMI_METADATA_HEADER_REQUIRED");
  const noResource = await h.token("127.0.0.2", {});
  assert.deepEqual([noResource.status, noResource.code], [400, "PODID_NMI_RESOURCE_REQUIRED"]);
  const twice = await h.request("/metadata/identity/oauth2/token?resource=a&resource=b", { from: "127.0.0.2", headers: { Metadata: "true" } });
  assert.deepEqual([twice.status, twice.code], [400, "PODID_NMI_INVALID_QUERY"]);
  const post = await h.request("/metadata/identity/oauth2/token?resource=a", { from: "127.0.0.2", method: "POST", headers: { Metadata: "true" } });
  assert.deepEqual([post.status, post.code], [405, "PODID_NMI_METHOD_NOT_ALLOWED"]);
});

test("non-canonical token paths are rejected with 400 and never reach IMDS", async () => {
  const seen = h.imds.tokenRequests;
  for (const path of [
    "/metadata/identity/oauth2/token/extra?resource=r",
    "/metadata/Identity/oauth2/token?resource=r",
    "/metadata/identity/oauth2%2Ftoken?resource=r",
    "/metadata//identity/oauth2/token?resource=r",
    "/metadata/identity\\oauth2\\token?resource=r",
    "/metadata/%69dentity/oauth2/token?resource=r",
    "/metadata/instance/../identity/oauth2/token?resource=r",
  ]) {
    const r = await h.request(path, { from: "127.0.0.2", headers: { Metadata: "true" } });
    assert.deepEqual([r.status, r.code], [400, "PODID_NMI_NON_CANONICAL_PATH"], path);
  }
  assert.equal(h.imds.tokenRequests, seen);
});

test("other /metadata paths are proxied; /metadata/instance can be blocked; unknown paths 404", async () => {
  const info = await h.request("/metadata/identity/info?api-version=2018-02-01", { from: "127.0.0.2", headers: { Metadata: "true" } });
  assert.equal(info.status, 200);
  assert.equal(info.json.tenantId !== undefined, true);
  const versions = await h.request("/metadata/versions", { from: "127.0.0.2", headers: { Metadata: "true" } });
  assert.equal(versions.status, 200);
  const noHeader = await h.request("/metadata/versions", { from: "127.0.0.2" });
  assert.equal(noHeader.code, "PODID_NMI_METADATA_HEADER_REQUIRED");
  const blocked = await h.request("/metadata/instance?api-version=2021-02-01", { from: "127.0.0.2", headers: { Metadata: "true" } });
  assert.deepEqual([blocked.status, blocked.code], [403, "PODID_NMI_INSTANCE_METADATA_BLOCKED"]);
  const other = await h.request("/whatever", { from: "127.0.0.2" });
  assert.deepEqual([other.status, other.code], [404, "PODID_NMI_NOT_FOUND"]);
});

test("wait-then-succeed: the assignment turns Assigned while the request waits", async () => {
  const idW = identity("id-wait");
  const podW = pod("pod-w", { ip: "127.0.0.3", label: "sel-w" });
  await h.apply("pods", podW);
  await h.apply("azureidentities", idW);
  await h.apply("azureidentitybindings", binding("bind-w", "id-wait", "sel-w"));
  await h.apply("azureassignedidentities", assigned(podW, idW, { status: "Created" }));
  const pending = h.token("127.0.0.3", { resource: "https://management.azure.com/" });
  await new Promise((r) => setTimeout(r, 300));
  h.assignToHost(idW);
  await h.apply("azureassignedidentities", assigned(podW, idW, { status: "Assigned" }));
  const r = await pending;
  assert.equal(r.status, 200, r.text);
  assert.ok(r.ms >= 250 && r.ms < 1500, `answered after ${r.ms} ms, when the status changed`);
  assert.equal(decodeTestToken(String(r.json.access_token)).appid, idW.spec.clientID);
});

test("transient status after the budget when the assignment never completes", async () => {
  const idN = identity("id-never");
  const podN = pod("pod-n", { ip: "127.0.0.4", label: "sel-n" });
  await h.apply("pods", podN);
  await h.apply("azureidentities", idN);
  await h.apply("azureassignedidentities", assigned(podN, idN, { status: "Created" }));
  const r = await h.token("127.0.0.4", { resource: "https://management.azure.com/" });
  assert.deepEqual([r.status, r.code], [404, "PODID_NMI_ASSIGNMENT_PENDING"]);
  assert.equal(r.headers["retry-after"], "5");
  assert.ok(r.ms >= 1400 && r.ms < 3000, `waited the 1.5 s budget (${r.ms} ms)`);
  // binding only (the MIC has not created the AAI yet): waits the same way
  const podM = pod("pod-m", { ip: "127.0.0.5", label: "sel-w" });
  await h.apply("pods", podM);
  const m = await h.token("127.0.0.5", { resource: "https://management.azure.com/" });
  assert.equal(m.code, "PODID_NMI_ASSIGNMENT_PENDING");
});

test("Failed assignment and unbound pods are refused with 403 at once", async () => {
  const idF = identity("id-failed");
  const podF = pod("pod-f", { ip: "127.0.0.6", label: "sel-f" });
  await h.apply("pods", podF);
  await h.apply("azureassignedidentities", assigned(podF, idF, { status: "Failed", message: "LinkedAuthorizationFailed on id-failed" }));
  const f = await h.token("127.0.0.6", { resource: "r" });
  assert.deepEqual([f.status, f.code], [403, "PODID_NMI_ASSIGNMENT_FAILED"]);
  assert.match(String(f.json.error_description), /LinkedAuthorizationFailed/);
  assert.ok(f.ms < 500);
  const podU = pod("pod-u", { ip: "127.0.0.7" });
  await h.apply("pods", podU);
  const u = await h.token("127.0.0.7", { resource: "r" });
  assert.deepEqual([u.status, u.code], [403, "PODID_NMI_NO_IDENTITY_BOUND"]);
  assert.ok(u.ms < 500);
});

test("IMDS 'Identity not found' while the assignment propagates is retried within the budget", async () => {
  const idP = identity("id-propagating");
  const podP = pod("pod-p", { ip: "127.0.0.8", label: "sel-p" });
  await h.apply("pods", podP);
  await h.apply("azureassignedidentities", assigned(podP, idP, { status: "Assigned" }));
  // AAI says Assigned but the host does not carry it yet: IMDS answers 400 Identity not found
  setTimeout(() => h.assignToHost(idP), 300);
  const r = await h.token("127.0.0.8", { resource: "https://management.azure.com/" });
  assert.equal(r.status, 200, r.text);
  // never propagates → transient code after the budget
  const idQ = identity("id-never-on-host");
  const podQ = pod("pod-q", { ip: "127.0.0.9", label: "sel-q" });
  await h.apply("pods", podQ);
  await h.apply("azureassignedidentities", assigned(podQ, idQ, { status: "Assigned" }));
  const q = await h.token("127.0.0.9", { resource: "https://management.azure.com/" });
  assert.deepEqual([q.status, q.code], [404, "PODID_NMI_IDENTITY_NOT_YET_AVAILABLE"]);
});

test("exception pods are proxied to IMDS untouched", async () => {
  const podX = pod("pod-x", { ip: "127.0.0.10", labels: { app: "Legacy" } });
  await h.apply("pods", podX);
  await h.apply("azurepodidentityexceptions", exception("legacy", { app: "legacy" }));
  // no binding, no AAI: NMI would refuse; IMDS answers for the client_id the pod sends
  const r = await h.token("127.0.0.10", { resource: "https://vault.azure.net", client_id: String(idA.spec.clientID) });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.code, "");
  assert.equal(decodeTestToken(String(r.json.access_token)).appid, idA.spec.clientID);
  // IMDS's own error passes through too (several identities on the host, none named)
  const none = await h.token("127.0.0.10", { resource: "https://vault.azure.net" });
  assert.equal(none.status, 400);
  assert.equal(none.code, "");
});
