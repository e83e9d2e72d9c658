// Authorized identity → token (cache, single flight, token source) → IMDS-identical JSON.
import type { AzureIdentity } from "../../core/index.ts";
import { NmiError } from "../errors.ts";
import { identityCacheKey, resolveIdentity, type ResolvedIdentity } from "../rules/identity-spec.ts";
import { normaliseResource, type IdSelector } from "../rules/token-request.ts";
import type { CacheOutcome } from "../tokens/cache.ts";
import type { Token, TokenSource } from "../tokens/types.ts";
import type { NmiRuntime } from "./runtime.ts";

export function resolveOrRefuse(identity: AzureIdentity): ResolvedIdentity {
  const r = resolveIdentity(identity);
  if (!r.ok) throw new NmiError("PODID_NMI_IDENTITY_INVALID", r.reason, r.description);
  return r.identity;
}

export function sourceFor(rt: NmiRuntime, identity: ResolvedIdentity): TokenSource {
  return identity.type === 0 ? rt.sources.msi : identity.type === 1 ? rt.sources.secret : rt.sources.certificate;
}

function cacheKey(identity: ResolvedIdentity, resource: string): string {
  return `${identityCacheKey(identity)}#${normaliseResource(resource)}`;
}

/**
 * The warm path without a promise: a fresh cached token, or undefined (then call tokenFor).
 * Same rule as tokenFor: only after authorization, keyed by the authorized identity.
 */
export function cachedToken(rt: NmiRuntime, identity: ResolvedIdentity, resource: string): Token | undefined {
  const token = rt.cache.peek(cacheKey(identity, resource));
  if (token) rt.metrics.cacheHits.inc();
  return token;
}

/**
 * Only called after authorization: the cache key is the authorized identity, so a token is
 * never handed to a pod that was not just allowed that identity.
 */
export async function tokenFor(
  rt: NmiRuntime,
  identity: ResolvedIdentity,
  resource: string,
  /** The caller (its signal is read only if it has to wait for an upstream fetch). */
  caller: { readonly signal: AbortSignal },
): Promise<{ token: Token; outcome: CacheOutcome }> {
  const normalised = normaliseResource(resource);
  const key = cacheKey(identity, resource);
  const result = await rt.cache.get(
    key,
    // Shared by every concurrent caller: bound to NMI's lifetime, not to the first caller's,
    // through a signal of its own (the upstream call adds listeners to it, not to a shared one).
    async () => {
      const life = rt.lifetime.scope();
      try {
        return await sourceFor(rt, identity).acquire(identity, normalised, { deadline: rt.clock.now() + rt.config.waitBudgetMs, signal: life.signal });
      } finally {
        life.release();
      }
    },
    caller,
  );
  if (result.outcome === "hit" || result.outcome === "stale-fallback") rt.metrics.cacheHits.inc();
  else rt.metrics.cacheMisses.inc();
  return result;
}

export type ImdsTokenJson = Record<string, string>;

/** IMDS's shape: every value a string; expires_in recomputed now (clients read expires_on). */
export function imdsJson(token: Token, resource: string, nowMs: number, selector: IdSelector | undefined): ImdsTokenJson {
  const now = Math.floor(nowMs / 1000);
  const expiresIn = Math.max(0, Math.floor(token.expiresOn - now));
  const body: ImdsTokenJson = {
    access_token: token.accessToken,
    client_id: token.clientId,
    expires_in: String(expiresIn),
    expires_on: String(Math.floor(token.expiresOn)),
    ext_expires_in: String(token.extExpiresIn ?? expiresIn),
    not_before: String(Math.floor(token.notBefore ?? now)),
    resource,
    token_type: token.tokenType,
  };
  if (selector?.kind === "msi_res_id") body.msi_res_id = selector.value;
  if (selector?.kind === "object_id") body.object_id = selector.value;
  return body;
}

