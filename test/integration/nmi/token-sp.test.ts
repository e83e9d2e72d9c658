// Service-principal identities (type 1 secret, type 2 PKCS#12 certificate) through the real
// msal-node against the Entra ID peer over HTTPS.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { decodeTestToken } from "../../../sandbox/peers/entra/index.ts";
import { assigned, identity, pod } from "../../helpers/nmi-fixtures.ts";
import { NmiHarness, TENANT } from "../../helpers/nmi-harness.ts";
import { makeP12 } from "../../helpers/p12.ts";

const RES = "https://management.azure.com/";
const AUX = "99999999-8888-7777-6666-555555555555";
const SECRET = "s3cr3t-value-never-logged";
let h: NmiHarness;

before(async () => {
  h = await NmiHarness.start({ entra: true, nmi: { waitBudgetMs: 3000 } });
});
after(() => h.close());

function entraUrl(): string {
  return h.entra?.url ?? "";
}

test("type 1: client secret from the Secret (first value, `clientSecret` preferred)", async () => {
  const id = identity("sp-secret", { type: 1, tenantID: TENANT, adEndpoint: `${entraUrl()}/`, secret: "sp-secret-creds" });
  h.entra?.registerApp({ tenantId: TENANT, clientId: String(id.spec.clientID), secret: SECRET });
  h.putSecret("default", "sp-secret-creds", { anything: SECRET });
  const p = pod("sp1", { ip: "127.0.0.2", label: "sp1" });
  await h.apply("pods", p);
  await h.apply("azureassignedidentities", assigned(p, id, { status: "Assigned" }));
  const r = await h.token("127.0.0.2", { resource: RES });
  assert.equal(r.status, 200, r.text);
  const claims = decodeTestToken(String(r.json.access_token));
  assert.equal(claims.appid ?? claims.azp, id.spec.clientID);
  assert.equal(claims.tid, TENANT);
  assert.equal(r.json.client_id, id.spec.clientID);
  assert.equal(typeof r.json.expires_on, "string");
  assert.ok(Number(r.json.expires_in) > 3000);
  // no discovery or token call left for login.microsoftonline.com: every Entra call hit the peer
  assert.ok((h.entra?.tokensIssued(String(id.spec.clientID)) ?? 0) === 1);

  // a Secret with several keys: clientSecret wins over the first key
  const id2 = identity("sp-secret2", { type: 1, tenantID: TENANT, adEndpoint: entraUrl(), secret: "multi" });
  h.entra?.registerApp({ tenantId: TENANT, clientId: String(id2.spec.clientID), secret: SECRET });
  h.putSecret("default", "multi", { aaa: "wrong", clientSecret: SECRET });
  await h.apply("azureassignedidentities", assigned(p, id2, { status: "Assigned" }));
  const r2 = await h.token("127.0.0.2", { resource: RES, client_id: String(id2.spec.clientID) });
  assert.equal(r2.status, 200, r2.text);
});

test("type 1: wrong secret → 403 TOKEN_REQUEST_REJECTED; missing Secret → 403 SECRET_INVALID", async () => {
  const bad = identity("sp-bad", { type: 1, tenantID: TENANT, adEndpoint: entraUrl(), secret: "bad-creds" });
  h.entra?.registerApp({ tenantId: TENANT, clientId: String(bad.spec.clientID), secret: "the-real-one" });
  h.putSecret("default", "bad-creds", { clientSecret: "not-the-real-one" });
  const missing = identity("sp-missing", { type: 1, tenantID: TENANT, adEndpoint: entraUrl(), secret: "does-not-exist" });
  const p = pod("sp2", { ip: "127.0.0.3", label: "sp2" });
  await h.apply("pods", p);
  await h.apply("azureassignedidentities", assigned(p, bad, { status: "Assigned" }));
  await h.apply("azureassignedidentities", assigned(p, missing, { status: "Assigned" }));
  const r = await h.token("127.0.0.3", { resource: RES, client_id: String(bad.spec.clientID) });
  assert.deepEqual([r.status, r.code], [403, "PODID_NMI_TOKEN_REQUEST_REJECTED"]);
  const m = await h.token("127.0.0.3", { resource: RES, client_id: String(missing.spec.clientID) });
  assert.deepEqual([m.status, m.code], [403, "PODID_NMI_SECRET_INVALID"]);
});

test("type 2: PKCS#12 certificate (openssl-made) → certificate assertion", async () => {
  const cert = makeP12("p12-password");
  const id = identity("sp-cert", { type: 2, tenantID: TENANT, adEndpoint: entraUrl(), secret: "cert-creds" });
  h.entra?.registerApp({ tenantId: TENANT, clientId: String(id.spec.clientID), certificatePem: cert.certPem });
  h.putSecret("default", "cert-creds", { certificate: cert.p12, password: cert.password });
  const p = pod("sp3", { ip: "127.0.0.4", label: "sp3" });
  await h.apply("pods", p);
  await h.apply("azureassignedidentities", assigned(p, id, { status: "Assigned" }));
  const r = await h.token("127.0.0.4", { resource: "https://vault.azure.net" });
  assert.equal(r.status, 200, r.text);
  assert.equal(decodeTestToken(String(r.json.access_token)).aud, "https://vault.azure.net");
  // wrong password → final, named
  const id2 = identity("sp-cert-bad", { type: 2, tenantID: TENANT, adEndpoint: entraUrl(), secret: "cert-bad" });
  h.putSecret("default", "cert-bad", { certificate: cert.p12, password: "nope" });
  await h.apply("azureassignedidentities", assigned(p, id2, { status: "Assigned" }));
  const bad = await h.token("127.0.0.4", { resource: RES, client_id: String(id2.spec.clientID) });
  assert.deepEqual([bad.status, bad.code], [403, "PODID_NMI_SECRET_INVALID"]);
});

test("auxiliary tenants: IMDS path answers the primary token; /host/token/ adds one per tenant", async () => {
  const id = identity("sp-aux", { type: 1, tenantID: TENANT, adEndpoint: entraUrl(), secret: "aux-creds", aux: [AUX] });
  h.entra?.registerApp({ tenantId: TENANT, clientId: String(id.spec.clientID), secret: SECRET });
  h.entra?.registerApp({ tenantId: AUX, clientId: String(id.spec.clientID), secret: SECRET });
  h.putSecret("default", "aux-creds", { clientSecret: SECRET });
  const p = pod("sp4", { ip: "127.0.0.5", label: "sp4" });
  await h.apply("pods", p);
  await h.apply("azureassignedidentities", assigned(p, id, { status: "Assigned" }));
  const r = await h.token("127.0.0.5", { resource: RES });
  assert.equal(r.status, 200, r.text);
  assert.equal(decodeTestToken(String(r.json.access_token)).tid, TENANT);
  const host = await h.request(`/host/token/?resource=${encodeURIComponent(RES)}`, { from: "127.0.0.1", headers: { podns: "default", podname: "sp4" } });
  assert.equal(host.status, 200, host.text);
  const aux = host.json.auxiliaryTokens as Array<Record<string, string>>;
  assert.equal(aux.length, 1);
  assert.equal(decodeTestToken(String(aux[0]?.access_token)).tid, AUX);
});

test("no secret or token in the logs", () => {
  const logs = h.logText();
  assert.ok(logs.length > 0);
  assert.equal(logs.includes(SECRET), false);
  assert.equal(logs.includes("p12-password"), false);
  assert.equal(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/.test(logs), false, "no JWT in logs");
});
