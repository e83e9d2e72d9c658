// The real @azure/msal-node ConfidentialClientApplication against the Entra ID peer: client
// secret and certificate (PS256 + x5t#S256) credentials, AADSTS errors, scripted throttling.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPublicKey, verify, X509Certificate, type JsonWebKey } from "node:crypto";
import { after, before, test } from "node:test";
import { ConfidentialClientApplication, type Configuration } from "@azure/msal-node";
import { testPki } from "../../../sandbox/pki.ts";
import { decodeTestToken, startEntraPeer, type EntraPeer } from "../../../sandbox/peers/entra/index.ts";

const TENANT = "11111111-2222-3333-4444-555555555555";
const ARM_SCOPE = "https://management.azure.com/.default";
let entra: EntraPeer;
let dir: string;

/** A throwaway RSA key and self-signed certificate made with openssl. */
function makeCert(name: string): { key: string; cert: string; thumbprintSha256: string } {
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.crt`,
    "-days", "1", "-subj", `/CN=${name}`], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  const cert = readFileSync(join(dir, `${name}.crt`), "utf8");
  return { key: readFileSync(join(dir, `${name}.key`), "utf8"), cert, thumbprintSha256: new X509Certificate(cert).fingerprint256.replace(/:/g, "") };
}

function app(clientId: string, credential: Partial<Configuration["auth"]>, tenant = TENANT): ConfidentialClientApplication {
  return new ConfidentialClientApplication({
    auth: { clientId, authority: entra.authority(tenant), knownAuthorities: [entra.knownAuthority], ...credential },
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "podid-entra-test-"));
  entra = await startEntraPeer(testPki());
});
after(async () => {
  await entra.close();
  rmSync(dir, { recursive: true, force: true });
});

test("client secret: token for the app, audience from the scope, no instance discovery", async () => {
  entra.registerApp({ tenantId: TENANT, clientId: "app-secret", secret: "s3cret" });
  const result = await app("app-secret", { clientSecret: "s3cret" }).acquireTokenByClientCredential({ scopes: [ARM_SCOPE] });
  assert.ok(result);
  const claims = decodeTestToken(result.accessToken);
  assert.equal(claims.appid, "app-secret");
  assert.equal(claims.aud, "https://management.azure.com");
  assert.equal(claims.tid, TENANT);
  assert.ok(result.expiresOn && result.expiresOn.getTime() > Date.now() + 3000_000);
  assert.equal(entra.tokensIssued("app-secret"), 1);
  assert.ok(entra.log.some((l) => l.path.includes("/v2.0/.well-known/openid-configuration")));
  assert.ok(!entra.log.some((l) => l.path.includes("discovery/instance")), "knownAuthorities skips instance discovery");
});

test("certificate: PS256 assertion with x5t#S256 is verified against the registered certificate", async () => {
  const good = makeCert("good");
  const other = makeCert("other");
  entra.registerApp({ tenantId: TENANT, clientId: "app-cert", certificatePem: good.cert });
  const result = await app("app-cert", { clientCertificate: { thumbprintSha256: good.thumbprintSha256, privateKey: good.key } })
    .acquireTokenByClientCredential({ scopes: [ARM_SCOPE] });
  assert.equal(decodeTestToken(result?.accessToken ?? "").appid, "app-cert");

  // Right thumbprint, wrong private key: the signature does not verify.
  await assert.rejects(
    app("app-cert", { clientCertificate: { thumbprintSha256: good.thumbprintSha256, privateKey: other.key } })
      .acquireTokenByClientCredential({ scopes: [ARM_SCOPE] }),
    (e: Error & { errorCode?: string }) => e.errorCode === "invalid_client" && e.message.includes("AADSTS700027"));
  // Unregistered certificate: no key with that thumbprint.
  await assert.rejects(
    app("app-cert", { clientCertificate: { thumbprintSha256: other.thumbprintSha256, privateKey: other.key } })
      .acquireTokenByClientCredential({ scopes: [ARM_SCOPE] }),
    (e: Error) => e.message.includes("AADSTS700027") && e.message.includes("The key was not found"));
});

test("bad secret → invalid_client AADSTS7000215; unknown app → AADSTS700016", async () => {
  entra.registerApp({ tenantId: TENANT, clientId: "app-bad", secret: "right" });
  await assert.rejects(app("app-bad", { clientSecret: "wrong" }).acquireTokenByClientCredential({ scopes: [ARM_SCOPE] }),
    (e: Error & { errorCode?: string; errorNo?: string }) =>
      e.errorCode === "invalid_client" && e.message.includes("AADSTS7000215") && String(e.errorNo) === "7000215");
  await assert.rejects(app("nobody", { clientSecret: "x" }).acquireTokenByClientCredential({ scopes: [ARM_SCOPE] }),
    (e: Error & { errorCode?: string }) => e.errorCode === "unauthorized_client" && e.message.includes("AADSTS700016"));
});

test("unknown tenant: discovery fails in MSAL; the token endpoint answers AADSTS90002", async () => {
  await assert.rejects(app("app-secret", { clientSecret: "s3cret" }, "no-such-tenant").acquireTokenByClientCredential({ scopes: [ARM_SCOPE] }));
  const res = await fetch(`${entra.url}/no-such-tenant/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "client-request-id": "corr-1" },
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: "a", client_secret: "b", scope: ARM_SCOPE }),
  });
  assert.equal(res.status, 400);
  const body = await res.json() as Record<string, unknown>;
  assert.equal(body.error, "invalid_request");
  assert.deepEqual(body.error_codes, [90002]);
  assert.equal(body.correlation_id, "corr-1");
  assert.equal(typeof body.trace_id, "string");
  assert.match(String(body.timestamp), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
});

test("instance discovery and OpenID configuration point back to the peer", async () => {
  const authorize = encodeURIComponent(`${entra.url}/${TENANT}/oauth2/v2.0/authorize`);
  const disco = await (await fetch(`${entra.url}/common/discovery/instance?api-version=1.1&authorization_endpoint=${authorize}`)).json() as
    { tenant_discovery_endpoint: string; metadata: Array<{ aliases: string[] }> };
  assert.equal(disco.tenant_discovery_endpoint, `${entra.url}/${TENANT}/v2.0/.well-known/openid-configuration`);
  assert.deepEqual(disco.metadata[0]?.aliases, [entra.knownAuthority]);
  const oidc = await (await fetch(disco.tenant_discovery_endpoint)).json() as Record<string, string>;
  assert.equal(oidc.issuer, `${entra.url}/${TENANT}/v2.0`);
  assert.equal(oidc.token_endpoint, `${entra.url}/${TENANT}/oauth2/v2.0/token`);
  assert.equal(oidc.jwks_uri, `${entra.url}/${TENANT}/discovery/v2.0/keys`);
  assert.equal((await fetch(`${entra.url}/unknown-tenant/v2.0/.well-known/openid-configuration`)).status, 400);
});

test("raw token endpoint: numeric expires_in; scope without /.default → invalid_scope", async () => {
  const post = (scope: string) => fetch(`${entra.url}/${TENANT}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: "app-secret", client_secret: "s3cret", scope }),
  });
  const ok = await post(ARM_SCOPE);
  assert.equal(ok.status, 200);
  const body = await ok.json() as Record<string, unknown>;
  assert.equal(body.token_type, "Bearer");
  assert.equal(typeof body.expires_in, "number");
  // Entra peer tokens are RS256-signed with the key published in the tenant's JWKS.
  const [h, pl, sig] = String(body.access_token).split(".");
  const jwks = await (await fetch(`${entra.url}/${TENANT}/discovery/v2.0/keys`)).json() as { keys: Array<JsonWebKey & { kid: string }> };
  const header = JSON.parse(Buffer.from(h ?? "", "base64url").toString("utf8")) as { kid: string; alg: string };
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  assert.ok(jwk && header.alg === "RS256");
  assert.ok(verify("sha256", Buffer.from(`${h}.${pl}`), createPublicKey({ key: jwk, format: "jwk" }), Buffer.from(sig ?? "", "base64url")));
  const bad = await post("https://management.azure.com/user_impersonation");
  assert.equal(bad.status, 400);
  const err = await bad.json() as Record<string, unknown>;
  assert.equal(err.error, "invalid_scope");
  assert.deepEqual(err.error_codes, [1002012]);
});

test("scripted 429: MSAL surfaces it, then throttles identical requests locally", async () => {
  entra.registerApp({ tenantId: TENANT, clientId: "app-throttled", secret: "s" });
  const cca = app("app-throttled", { clientSecret: "s" });
  entra.scriptError({ status: 429, error: "temporarily_unavailable", code: 50196, retryAfterSeconds: 30 });
  const before = entra.tokenRequests;
  await assert.rejects(cca.acquireTokenByClientCredential({ scopes: [ARM_SCOPE] }), (e: Error) => e.message.includes("AADSTS50196"));
  assert.equal(entra.tokenRequests, before + 1);
  await assert.rejects(cca.acquireTokenByClientCredential({ scopes: [ARM_SCOPE] }));
  assert.equal(entra.tokenRequests, before + 1, "MSAL's throttle cache answers without a network call");
});
