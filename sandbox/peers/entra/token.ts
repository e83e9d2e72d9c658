// POST /{tenant}/oauth2/v2.0/token for the client-credentials grant (secret or certificate
// assertion). Success bodies use numbers for expires_in, as Entra ID does.
import { randomUUID } from "node:crypto";
import { encodeTestToken } from "../imds/test-token.ts";
import { checkClientAssertion, JWT_BEARER } from "./client-assertion.ts";
import type { AppRecord, Directory } from "./directory.ts";
import { aadErrors, type AadError } from "./errors.ts";

export interface TokenIssuer {
  directory: Directory;
  lifetimeSeconds: number;
  /** Signs `header.payload` (RS256 with the key published in the JWKS). */
  sign: (input: string) => string;
  kid: string;
}

const OIDC_SCOPES = new Set(["openid", "profile", "offline_access", "email"]);

function authenticate(form: URLSearchParams, app: AppRecord, tokenEndpoint: string): AadError | undefined {
  const secret = form.get("client_secret");
  const assertion = form.get("client_assertion");
  if (secret !== null) return app.secrets.includes(secret) ? undefined : aadErrors.badSecret(app.clientId);
  if (assertion === null) return aadErrors.noCredential();
  const type = form.get("client_assertion_type") ?? "";
  if (type !== JWT_BEARER) return aadErrors.unsupportedAssertionType(type);
  return checkClientAssertion(assertion, app, tokenEndpoint);
}

export function clientCredentials(issuer: TokenIssuer, tenant: string, form: URLSearchParams, tokenEndpoint: string): AadError | { app: AppRecord; body: object } {
  const grant = form.get("grant_type");
  if (grant === null) return aadErrors.missingParameter("grant_type");
  if (grant !== "client_credentials") return aadErrors.unsupportedGrant(grant);
  const clientId = form.get("client_id");
  if (clientId === null) return aadErrors.missingParameter("client_id");
  const app = issuer.directory.app(tenant, clientId);
  if (!app) return aadErrors.unknownApp(clientId, tenant);
  const scopeParam = form.get("scope");
  if (scopeParam === null) return aadErrors.missingParameter("scope");
  const scopes = scopeParam.split(" ").filter((s) => s !== "" && !OIDC_SCOPES.has(s));
  const scope = scopes[0];
  if (scopes.length !== 1 || scope === undefined || !scope.endsWith("/.default")) return aadErrors.invalidScope(scopeParam);
  const failure = authenticate(form, app, tokenEndpoint);
  if (failure) return failure;
  const now = Math.floor(Date.now() / 1000);
  const iss = `https://sts.windows.net/${app.tenantId}/`;
  const token = encodeTestToken({
    aud: scope.slice(0, -"/.default".length), iss, iat: now, nbf: now, exp: now + issuer.lifetimeSeconds,
    tid: app.tenantId, appid: app.clientId, oid: app.principalId, sub: app.principalId, idtyp: "app",
    appidacr: form.has("client_assertion") ? "2" : "1", uti: randomUUID(), ver: "1.0",
  }, { typ: "JWT", alg: "RS256", kid: issuer.kid, x5t: issuer.kid }, issuer.sign);
  return {
    app,
    body: { token_type: "Bearer", expires_in: issuer.lifetimeSeconds, ext_expires_in: issuer.lifetimeSeconds, access_token: token },
  };
}
