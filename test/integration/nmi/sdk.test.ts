// The real @azure/identity ManagedIdentityCredential (msal ManagedIdentityApplication inside,
// AZURE_POD_IDENTITY_AUTHORITY_HOST pointing at NMI) gets tokens for all three identity types.
// msal caches the IMDS source — and its network client — per process, so every credential
// here acts as the same pod (127.0.0.2), which has all identities bound; refusals use a
// client id that pod does not have.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ManagedIdentityCredential } from "@azure/identity";
import { decodeTestToken } from "../../../sandbox/peers/imds/index.ts";
import { assigned, identity, pod } from "../../helpers/nmi-fixtures.ts";
import { NmiHarness, TENANT } from "../../helpers/nmi-harness.ts";
import { makeP12 } from "../../helpers/p12.ts";
import { podHttpClient } from "../../helpers/pod-http-client.ts";

const SCOPE = "https://management.azure.com/.default";
const POD_IP = "127.0.0.2";
let h: NmiHarness;
const podA = pod("sdk-pod", { ip: POD_IP, label: "sdk" });
const msi = identity("sdk-msi");

function credential(clientId: string): ManagedIdentityCredential {
  return new ManagedIdentityCredential({ clientId, httpClient: podHttpClient(POD_IP) });
}

before(async () => {
  h = await NmiHarness.start({ entra: true, nmi: { waitBudgetMs: 1000 } });
  process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = h.nmi.tokenUrl;
  await h.apply("pods", podA);
  h.assignToHost(msi);
  await h.apply("azureassignedidentities", assigned(podA, msi, { status: "Assigned" }));
});
after(async () => {
  delete process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST;
  await h.close();
});

test("type 0 through the SDK", async () => {
  const t = await credential(String(msi.spec.clientID)).getToken(SCOPE);
  const claims = decodeTestToken(t.token);
  assert.equal(claims.appid, msi.spec.clientID);
  assert.equal(claims.aud, "https://management.azure.com");
  assert.ok(t.expiresOnTimestamp > Date.now() + 3600_000);
});

test("type 1 (secret) and type 2 (PKCS#12) through the SDK", async () => {
  const entra = h.entra?.url ?? "";
  const sp = identity("sdk-sp", { type: 1, tenantID: TENANT, adEndpoint: entra, secret: "sdk-sp" });
  h.entra?.registerApp({ tenantId: TENANT, clientId: String(sp.spec.clientID), secret: "sdk-secret" });
  h.putSecret("default", "sdk-sp", { clientSecret: "sdk-secret" });
  const cert = makeP12("pw");
  const spc = identity("sdk-cert", { type: 2, tenantID: TENANT, adEndpoint: entra, secret: "sdk-cert" });
  h.entra?.registerApp({ tenantId: TENANT, clientId: String(spc.spec.clientID), certificatePem: cert.certPem });
  h.putSecret("default", "sdk-cert", { certificate: cert.p12, password: "pw" });
  await h.apply("azureassignedidentities", assigned(podA, sp, { status: "Assigned" }));
  await h.apply("azureassignedidentities", assigned(podA, spc, { status: "Assigned" }));
  for (const id of [sp, spc]) {
    const t = await credential(String(id.spec.clientID)).getToken(SCOPE);
    const claims = decodeTestToken(t.token);
    assert.equal(claims.appid ?? claims.azp, id.spec.clientID);
    assert.equal(claims.tid, TENANT);
  }
});

test("an identity the pod does not have fails fast (403 is final for the SDK)", async () => {
  const started = Date.now();
  await assert.rejects(credential("00000000-dead-beef-0000-000000000000").getToken(SCOPE));
  assert.ok(Date.now() - started < 3000, "no retries on 403");
});

test("the SDK retries our transient 404 until the assignment completes", async () => {
  const late = identity("sdk-late");
  await h.apply("azureassignedidentities", assigned(podA, late, { status: "Created" }));
  setTimeout(() => {
    h.assignToHost(late);
    void h.apply("azureassignedidentities", assigned(podA, late, { status: "Assigned" }));
  }, 1500);
  const started = Date.now();
  const t = await credential(String(late.spec.clientID)).getToken(SCOPE);
  assert.equal(decodeTestToken(t.token).appid, late.spec.clientID);
  assert.ok(Date.now() - started >= 1400, "first attempt got the transient answer; a retry succeeded");
});
