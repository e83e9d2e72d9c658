// Types 1 and 2 (service principal): @azure/msal-node client credentials against the
// identity's authority (adEndpoint + tenantID). One ConfidentialClientApplication per
// (identity, Secret resourceVersion): a rotated Secret builds a new app, an unchanged one
// reuses the app and its in-memory token cache.
import { ConfidentialClientApplication, type Configuration } from "@azure/msal-node";
import { NmiError } from "../errors.ts";
import { identityCacheKey, type ResolvedIdentity } from "../rules/identity-spec.ts";
import { certificateCredential, CertificateError, type CertificateCredential } from "./pkcs12.ts";
import { withRetries } from "./retry.ts";
import { clientSecretOf, type SecretData, type SecretReader } from "./secrets.ts";
import type { AcquireContext, Clock, Token, TokenSource } from "./types.ts";

/**
 * Microsoft's public and sovereign login hosts: msal's default instance discovery knows them,
 * so they keep it. Any other host (Azure Stack, the sandbox's Entra peer) is trusted as given
 * via knownAuthorities, so no discovery request leaves for login.microsoftonline.com.
 */
const MICROSOFT_LOGIN_HOSTS = new Set([
  "login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net",
  "login.microsoftonline.us", "login-us.microsoftonline.com", "login.usgovcloudapi.net",
  "login.chinacloudapi.cn", "login.partner.microsoftonline.cn", "login.microsoftonline.de",
]);

export function msalAuthConfig(adEndpoint: string, tenantId: string): { authority: string; knownAuthorities?: string[] } {
  const url = new URL(adEndpoint);
  const authority = `${url.origin}${url.pathname.replace(/\/+$/, "")}/${tenantId}`;
  return MICROSOFT_LOGIN_HOSTS.has(url.hostname.toLowerCase()) ? { authority } : { authority, knownAuthorities: [url.host] };
}

/** IMDS-style resource → MSAL scope. */
export function scopeFor(resource: string): string {
  return resource.endsWith("/.default") ? resource : `${resource.replace(/\/+$/, "")}/.default`;
}

interface ErrorLike { errorCode?: unknown; status?: unknown; name?: unknown }

function classify(err: unknown): { retry: boolean; nmi: NmiError } {
  if (err instanceof NmiError) return { retry: false, nmi: err };
  const e = (typeof err === "object" && err !== null ? err : {}) as ErrorLike;
  const code = typeof e.errorCode === "string" ? e.errorCode : "";
  const status = typeof e.status === "number" ? e.status : undefined;
  if (code === "network_error" || code === "endpoints_resolution_error" || code === "openid_config_error") {
    return { retry: true, nmi: new NmiError("PODID_NMI_UPSTREAM_UNAVAILABLE", `entra-${code}`) };
  }
  // After a 429/5xx msal refuses identical requests locally for Retry-After (≥ 60 s): retrying
  // inside this request is pointless, the client retries later.
  if (status === 429) return { retry: false, nmi: new NmiError("PODID_NMI_UPSTREAM_THROTTLED", "entra-throttled") };
  if (status !== undefined && status >= 500) return { retry: false, nmi: new NmiError("PODID_NMI_UPSTREAM_UNAVAILABLE", `entra-${status}`) };
  if (e.name === "ServerError" && status === undefined) {
    return { retry: false, nmi: new NmiError("PODID_NMI_UPSTREAM_THROTTLED", "entra-throttled-locally") };
  }
  if (e.name === "ClientConfigurationError") return { retry: false, nmi: new NmiError("PODID_NMI_IDENTITY_INVALID", `msal-config-${code}`) };
  return {
    retry: false,
    nmi: new NmiError("PODID_NMI_TOKEN_REQUEST_REJECTED", `entra-${code || "error"}`, `Entra ID rejected the token request${code ? ` (${code})` : ""}`),
  };
}

export interface MsalSourceDeps {
  kind: "secret" | "certificate";
  secrets: SecretReader;
  clock: Clock;
  retryBaseMs: number;
  /** Test seam: msal's network module (e.g. to count requests). */
  networkClient?: NonNullable<Configuration["system"]>["networkClient"];
}

export function createMsalTokenSource(deps: MsalSourceDeps): TokenSource & { clear(): void } {
  const apps = new Map<string, { rv: string; app: Promise<ConfidentialClientApplication> }>();
  const certs = new Map<string, { rv: string; cred: Promise<CertificateCredential> }>();

  async function credentialFor(id: Extract<ResolvedIdentity, { type: 1 | 2 }>, secret: SecretData): Promise<NonNullable<Configuration["auth"]>> {
    const base = { clientId: id.clientId, ...msalAuthConfig(id.adEndpoint, id.tenantId) };
    if (deps.kind === "secret") {
      const clientSecret = clientSecretOf(secret);
      if (!clientSecret) throw new NmiError("PODID_NMI_SECRET_INVALID", "secret-empty", `Secret ${secret.namespace}/${secret.name} holds no client secret`);
      return { ...base, clientSecret };
    }
    const p12 = secret.data.get("certificate");
    if (!p12 || p12.length === 0) {
      throw new NmiError("PODID_NMI_SECRET_INVALID", "certificate-missing", `Secret ${secret.namespace}/${secret.name} has no 'certificate' key`);
    }
    const key = `${secret.namespace}/${secret.name}`;
    let entry = certs.get(key);
    if (!entry || entry.rv !== secret.resourceVersion) {
      entry = { rv: secret.resourceVersion, cred: certificateCredential(p12, secret.data.get("password")?.toString("utf8") ?? "") };
      certs.set(key, entry);
      entry.cred.catch(() => certs.delete(key));
    }
    let cred: CertificateCredential;
    try {
      cred = await entry.cred;
    } catch (err) {
      const msg = err instanceof CertificateError ? err.message : "unreadable certificate";
      throw new NmiError("PODID_NMI_SECRET_INVALID", "certificate-invalid", `Secret ${key}: ${msg}`);
    }
    return { ...base, clientCertificate: { thumbprintSha256: cred.thumbprintSha256, privateKey: cred.privateKey, x5c: cred.certificate } };
  }

  async function appFor(id: Extract<ResolvedIdentity, { type: 1 | 2 }>, tenantId: string): Promise<ConfidentialClientApplication> {
    const secret = await deps.secrets.read(id.secret.namespace, id.secret.name);
    const key = `${identityCacheKey(id)}|${tenantId}`;
    const cached = apps.get(key);
    if (cached && cached.rv === secret.resourceVersion && secret.resourceVersion !== "") return cached.app;
    const app = (async () => {
      const auth = await credentialFor({ ...id, tenantId }, secret);
      const system: NonNullable<Configuration["system"]> = {};
      if (deps.networkClient) system.networkClient = deps.networkClient;
      return new ConfidentialClientApplication({ auth, system });
    })();
    apps.set(key, { rv: secret.resourceVersion, app });
    app.catch(() => apps.delete(key));
    return app;
  }

  async function acquireFor(id: Extract<ResolvedIdentity, { type: 1 | 2 }>, tenantId: string, resource: string, ctx: AcquireContext): Promise<Token> {
    return withRetries(
      async () => {
        const app = await appFor(id, tenantId);
        const r = await app.acquireTokenByClientCredential({ scopes: [scopeFor(resource)] });
        if (!r?.accessToken || !r.expiresOn) throw new NmiError("PODID_NMI_UPSTREAM_UNAVAILABLE", "entra-empty-result");
        const token: Token = {
          accessToken: r.accessToken,
          expiresOn: Math.floor(r.expiresOn.getTime() / 1000),
          tokenType: r.tokenType || "Bearer",
          clientId: id.clientId,
        };
        if (r.extExpiresOn) token.extExpiresIn = Math.max(0, Math.floor((r.extExpiresOn.getTime() - deps.clock.now()) / 1000));
        return token;
      },
      { clock: deps.clock, deadline: ctx.deadline, signal: ctx.signal, baseMs: deps.retryBaseMs, classify: (e) => ({ retry: classify(e).retry }) },
    ).catch((e: unknown) => {
      throw classify(e).nmi;
    });
  }

  return {
    async acquire(identity, resource, ctx) {
      if (identity.type === 0) throw new NmiError("PODID_NMI_INTERNAL", "wrong-token-source");
      return acquireFor(identity, identity.tenantId, resource, ctx);
    },
    clear() {
      apps.clear();
      certs.clear();
    },
  };
}

/** Auxiliary tenants (only served on /host/token/, see README): one token per tenant. */
export async function acquireAuxiliary(
  source: TokenSource,
  identity: ResolvedIdentity,
  resource: string,
  ctx: AcquireContext,
): Promise<Token[]> {
  if (identity.type === 0) return [];
  return Promise.all(identity.auxiliaryTenantIds.map((t) => source.acquire({ ...identity, tenantId: t }, resource, ctx)));
}
