// The IMDS peer: the real @azure/identity ManagedIdentityCredential (redirected with
// AZURE_POD_IDENTITY_AUTHORITY_HOST) gets tokens only for identities the ARM peer shows on the
// node's host; raw requests check IMDS's validation, default-identity rules, limits and metadata.
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, test } from "node:test";
import { ManagedIdentityCredential } from "@azure/identity";
import { decodeTestToken, startImdsPeer, type ImdsPeer, type StartImdsPeerOptions } from "../../../sandbox/peers/imds/index.ts";
import { RG, startAzureFixture, SUB, TENANT, type AzureFixture } from "./fixtures.ts";

const ENV = "AZURE_POD_IDENTITY_AUTHORITY_HOST";
let fx: AzureFixture;
let imds: ImdsPeer;
let ssId: string;
let uai: { a: string; b: string };
const savedEnv = process.env[ENV];
const peers: ImdsPeer[] = [];

async function peer(opts: Partial<StartImdsPeerOptions> = {}): Promise<ImdsPeer> {
  const p = await startImdsPeer({ host: `${ssId}/virtualMachines/0`, assignments: (h) => fx.arm.identitiesOf(h), tenantId: TENANT, ...opts });
  peers.push(p);
  return p;
}

function get(p: ImdsPeer, path: string, headers: Record<string, string> = { Metadata: "true" }): Promise<{ status: number; json: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${p.url}${path}`, { headers, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (d: string) => { text += d; }).on("end", () => {
        let json: Record<string, unknown> = {};
        try { json = JSON.parse(text) as Record<string, unknown>; } catch { /* leaf text */ }
        resolve({ status: res.statusCode ?? 0, json, text });
      });
    });
    req.on("error", reject).end();
  });
}
const tokenPath = (extra = "") => `/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net${extra}`;

before(async () => {
  fx = await startAzureFixture({ operationDurationMs: 0 });
  uai = { a: fx.identity("pod-a"), b: fx.identity("pod-b") };
  ssId = fx.arm.addScaleSet({ subscriptionId: SUB, resourceGroup: RG, name: "aks-nodepool1", location: "westeurope", userAssignedIdentities: [uai.a] });
  imds = await peer();
  // MSAL picks its managed-identity source (and this endpoint) once per process, at the first token request.
  process.env[ENV] = imds.url;
});
after(async () => {
  if (savedEnv === undefined) delete process.env[ENV];
  else process.env[ENV] = savedEnv;
  await Promise.all(peers.map((p) => p.close()));
  await fx.close();
});

test("ManagedIdentityCredential gets a token only for an identity assigned through ARM", async () => {
  const a = fx.arm.identitiesOf(ssId)[0];
  assert.ok(a);
  const token = await new ManagedIdentityCredential({ clientId: a.clientId }).getToken("https://management.azure.com/.default");
  const claims = decodeTestToken(token.token);
  assert.equal(claims.appid, a.clientId);
  assert.equal(claims.xms_mirid, uai.a);
  assert.equal(claims.aud, "https://management.azure.com");
  assert.equal(claims.tid, TENANT);
  assert.ok(token.expiresOnTimestamp > Date.now() + 3_600_000);
  assert.equal(imds.tokensIssued(a.clientId), 1);

  const b = { clientId: fx.clientIdOf(uai.b) };
  await assert.rejects(new ManagedIdentityCredential({ clientId: b.clientId }).getToken("https://management.azure.com/.default"),
    (e: Error) => /Identity not found/.test(e.message));
  await fx.client().virtualMachineScaleSets.beginUpdateAndWait(RG, "aks-nodepool1", {
    identity: { type: "UserAssigned", userAssignedIdentities: { [uai.b]: {} } },
  }, { updateIntervalInMs: 10 });
  const tokenB = await new ManagedIdentityCredential({ clientId: b.clientId }).getToken("https://storage.azure.com/.default");
  assert.equal(decodeTestToken(tokenB.token).appid, b.clientId);
  assert.equal(imds.tokensIssued(b.clientId), 1);
});

test("IMDS request validation: Metadata header, X-Forwarded-For, api-version, resource, repeated or competing ids", async () => {
  const probe = await get(imds, "/metadata/identity/oauth2/token", { Accept: "application/json" });
  assert.equal(probe.status, 400);
  assert.equal(probe.json.error, "bad_request_102");
  assert.equal((await get(imds, tokenPath(), { Metadata: "True" })).status, 400, "the value must be lowercase true");
  assert.equal((await get(imds, tokenPath(), { Metadata: "true", "X-Forwarded-For": "10.0.0.9" })).status, 400);
  const noVersion = await get(imds, "/metadata/identity/oauth2/token?resource=x");
  assert.equal(noVersion.status, 400);
  assert.ok(Array.isArray(noVersion.json["newest-versions"]));
  const noResource = await get(imds, "/metadata/identity/oauth2/token?api-version=2018-02-01");
  assert.deepEqual([noResource.status, noResource.json.error], [400, "invalid_request"]);
  const a = fx.clientIdOf(uai.a);
  assert.equal((await get(imds, tokenPath(`&client_id=${a}&client_id=${a}`))).status, 400);
  assert.equal((await get(imds, tokenPath(`&client_id=${a}&msi_res_id=${encodeURIComponent(uai.a)}`))).status, 400);
  const unknown = await get(imds, tokenPath("&client_id=99999999-0000-0000-0000-000000000000"));
  assert.deepEqual([unknown.status, unknown.json], [400, { error: "invalid_request", error_description: "Identity not found" }]);
});

test("token answer: every field a string; object_id / msi_res_id echoed; mi_res_id accepted", async () => {
  const rec = fx.arm.identitiesOf(ssId).find((i) => i.resourceId === uai.a);
  assert.ok(rec);
  const byObject = await get(imds, tokenPath(`&object_id=${rec.principalId}`));
  assert.equal(byObject.status, 200);
  for (const f of ["access_token", "client_id", "expires_in", "expires_on", "ext_expires_in", "not_before", "resource", "token_type"]) {
    assert.equal(typeof byObject.json[f], "string", f);
  }
  assert.equal(byObject.json.object_id, rec.principalId);
  assert.equal(byObject.json.client_id, rec.clientId);
  assert.equal(byObject.json.resource, "https://vault.azure.net");
  assert.ok(Number(byObject.json.expires_on) > Date.now() / 1000);
  const byRes = await get(imds, tokenPath(`&msi_res_id=${encodeURIComponent(uai.a.toLowerCase())}`));
  assert.equal(byRes.json.msi_res_id, uai.a.toLowerCase());
  const byMi = await get(imds, tokenPath(`&mi_res_id=${encodeURIComponent(uai.a)}`));
  assert.equal(decodeTestToken(String(byMi.json.access_token)).xms_mirid, uai.a);
  assert.ok(imds.tokenRequests >= 3);
  imds.scriptError({ status: 500, error: "server_error", retryAfterSeconds: 1 });
  const failed = await get(imds, tokenPath(`&object_id=${rec.principalId}`));
  assert.deepEqual([failed.status, failed.json.error], [500, "server_error"]);
  assert.equal((await get(imds, tokenPath(`&object_id=${rec.principalId}`))).status, 200, "scripted once");
});

test("default identity: system-assigned, else the single user-assigned one, else 400", async () => {
  const one = { resourceId: uai.a, clientId: "c-1", principalId: "p-1" };
  const two = { resourceId: uai.b, clientId: "c-2", principalId: "p-2" };
  const single = await peer({ assignments: () => [one] });
  assert.equal((await get(single, tokenPath())).json.client_id, "c-1");
  const multi = await peer({ assignments: async () => [one, two] });
  const ambiguous = await get(multi, tokenPath());
  assert.equal(ambiguous.status, 400);
  assert.match(String(ambiguous.json.error_description), /^Multiple user assigned identities exist/);
  const withSystem = await peer({ assignments: () => [one, two], systemAssigned: { clientId: "sys-c", principalId: "sys-p" } });
  const sys = await get(withSystem, tokenPath());
  assert.equal(sys.json.client_id, "sys-c");
  assert.equal(decodeTestToken(String(sys.json.access_token)).xms_mirid, `${ssId}/virtualMachines/0`);
  assert.equal((await get(withSystem, tokenPath("&client_id=c-2"))).json.client_id, "c-2");
  const none = await peer({ assignments: () => [] });
  assert.equal((await get(none, tokenPath())).json.error_description, "Identity not found");
});

test("limits: above 5 concurrent or 20 per second → 429 too_many_requests", async () => {
  const slow = await peer({ latencyMs: 200, assignments: () => [{ resourceId: uai.a, clientId: "c", principalId: "p" }] });
  const burst = await Promise.all(Array.from({ length: 6 }, () => get(slow, tokenPath())));
  const statuses = burst.map((r) => r.status).sort();
  assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
  assert.equal(burst.find((r) => r.status === 429)?.json.error, "too_many_requests");
  // Per-second budget alone (concurrency lifted): 21 requests at once, one over the budget.
  const quick = await peer({ limits: { concurrent: 100 }, assignments: () => [{ resourceId: uai.a, clientId: "c", principalId: "p" }] });
  const wave = (await Promise.all(Array.from({ length: 21 }, () => get(quick, tokenPath())))).map((r) => r.status);
  assert.equal(wave.filter((st) => st === 200).length, 20);
  assert.equal(wave.filter((st) => st === 429).length, 1);
  assert.equal(quick.tokensIssued("c"), 20);
});

test("instance metadata, identity info and versions", async () => {
  const inst = await get(imds, "/metadata/instance?api-version=2021-02-01");
  assert.equal(inst.status, 200);
  const compute = inst.json.compute as Record<string, unknown>;
  assert.equal(compute.name, "aks-nodepool1_0");
  assert.equal(compute.vmScaleSetName, "aks-nodepool1");
  assert.equal(compute.resourceId, `${ssId}/virtualMachines/0`);
  assert.equal(compute.subscriptionId, SUB);
  assert.equal(compute.resourceGroupName, RG);
  for (const f of ["location", "vmId", "azEnvironment", "zone"]) assert.equal(typeof compute[f], "string", f);
  const leaf = await get(imds, "/metadata/instance/compute/location?api-version=2021-02-01&format=text");
  assert.deepEqual([leaf.status, leaf.text], [200, "westeurope"]);
  assert.equal((await get(imds, "/metadata/instance?api-version=2021-02-01", {})).status, 400);
  assert.equal((await get(imds, "/metadata/identity/info?api-version=2018-02-01")).json.tenantId, TENANT);
  assert.ok(((await get(imds, "/metadata/versions")).json.apiVersions as string[]).includes("2018-02-01"));
});
