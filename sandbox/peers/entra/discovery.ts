// Metadata documents MSAL fetches before a token request: instance discovery, the tenant's
// OpenID configuration (issuer on the peer's own origin, so MSAL's issuer check passes with
// knownAuthorities) and the signing keys.
import type { JsonWebKey } from "node:crypto";

export const tokenEndpointOf = (origin: string, tenant: string): string => `${origin}/${tenant}/oauth2/v2.0/token`;

export function openIdConfiguration(origin: string, tenant: string): object {
  const t = ["common", "organizations", "consumers"].includes(tenant.toLowerCase()) ? "{tenantid}" : tenant;
  return {
    token_endpoint: tokenEndpointOf(origin, tenant),
    token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    jwks_uri: `${origin}/${tenant}/discovery/v2.0/keys`,
    response_modes_supported: ["query", "fragment", "form_post"],
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: ["RS256"],
    response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
    scopes_supported: ["openid", "profile", "email", "offline_access"],
    issuer: `${origin}/${t}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${origin}/oidc/userinfo`,
    authorization_endpoint: `${origin}/${tenant}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${origin}/${tenant}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${origin}/${tenant}/oauth2/v2.0/logout`,
    claims_supported: ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid"],
    kerberos_endpoint: `${origin}/${tenant}/kerberos`,
    tenant_region_scope: "EU",
    cloud_instance_name: "microsoftonline.com",
    cloud_graph_host_name: "graph.windows.net",
    msgraph_host: "graph.microsoft.com",
    rbac_url: "https://pas.windows.net",
  };
}

/** `/common/discovery/instance`: the tenant comes from the `authorization_endpoint` query value. */
export function instanceDiscovery(origin: string, authorizationEndpoint: string | null): object {
  let tenant = "common";
  try {
    tenant = new URL(authorizationEndpoint ?? "").pathname.split("/").filter((s) => s !== "")[0] ?? tenant;
  } catch {
    // keep "common": real instance discovery answers for any authority
  }
  const host = new URL(origin).host;
  return {
    tenant_discovery_endpoint: `${origin}/${tenant}/v2.0/.well-known/openid-configuration`,
    "api-version": "1.1",
    metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
  };
}

export function jwks(kid: string, publicJwk: JsonWebKey, issuer: string): object {
  return { keys: [{ kty: "RSA", use: "sig", kid, x5t: kid, n: publicJwk.n, e: publicJwk.e, issuer }] };
}
