// Type 0 (user-assigned managed identity): IMDS with the identity's own client_id — never the
// id the pod sent. Retries upstream 429/5xx/404/410/network and IMDS's 400 "Identity not
// found" (an assignment still propagating) within the request's budget.
import { z } from "zod";
import { NmiError } from "../errors.ts";
import { ImdsNetworkError, LimiterTimeoutError, parseRetryAfter, type ImdsClient, type ImdsResponse } from "./imds-client.ts";
import { withRetries } from "./retry.ts";
import type { AcquireContext, Clock, Token, TokenSource } from "./types.ts";

const IMDS_API_VERSION = "2018-02-01";
const numeric = z.union([z.string(), z.number()]).transform((v) => Number(v)).pipe(z.number().finite());
const ImdsTokenSchema = z.looseObject({
  access_token: z.string().min(1),
  client_id: z.string().optional(),
  expires_on: numeric,
  expires_in: numeric.optional(),
  ext_expires_in: numeric.optional(),
  not_before: numeric.optional(),
  token_type: z.string().optional(),
});

class UpstreamAnswer extends Error {
  constructor(readonly response: ImdsResponse, readonly retryAfterSeconds: number | undefined) {
    super(`IMDS answered ${response.status}`);
  }
}

function identityNotFound(r: ImdsResponse): boolean {
  return r.status === 400 && /identity not found/i.test(r.body.toString("utf8"));
}

function retryable(r: ImdsResponse): boolean {
  return r.status === 404 || r.status === 410 || r.status === 429 || r.status >= 500 || identityNotFound(r);
}

/** The final classification after our own retries. */
function toNmiError(err: unknown): NmiError {
  if (err instanceof NmiError) return err;
  if (err instanceof LimiterTimeoutError) return new NmiError("PODID_NMI_UPSTREAM_THROTTLED", "upstream-limiter-full");
  if (err instanceof ImdsNetworkError) return new NmiError("PODID_NMI_UPSTREAM_UNAVAILABLE", "imds-unreachable");
  if (err instanceof UpstreamAnswer) {
    const r = err.response;
    if (identityNotFound(r)) return new NmiError("PODID_NMI_IDENTITY_NOT_YET_AVAILABLE", "imds-identity-not-found", undefined, err.retryAfterSeconds);
    if (r.status === 429) return new NmiError("PODID_NMI_UPSTREAM_THROTTLED", "imds-throttled", undefined, err.retryAfterSeconds);
    if (r.status === 404 || r.status === 410) return new NmiError("PODID_NMI_IDENTITY_NOT_YET_AVAILABLE", `imds-${r.status}`, undefined, err.retryAfterSeconds);
    if (r.status >= 500) return new NmiError("PODID_NMI_UPSTREAM_UNAVAILABLE", `imds-${r.status}`, undefined, err.retryAfterSeconds);
    return new NmiError("PODID_NMI_TOKEN_REQUEST_REJECTED", `imds-${r.status}`, `IMDS rejected the token request (${r.status})`);
  }
  return new NmiError("PODID_NMI_INTERNAL", "imds-unexpected-error");
}

export function createImdsTokenSource(deps: { client: ImdsClient; clock: Clock; retryBaseMs: number }): TokenSource {
  return {
    async acquire(identity, resource, ctx: AcquireContext): Promise<Token> {
      if (identity.type !== 0) throw new NmiError("PODID_NMI_INTERNAL", "wrong-token-source");
      const query = new URLSearchParams({ "api-version": IMDS_API_VERSION, resource, client_id: identity.clientId });
      const attempt = async (): Promise<Token> => {
        const res = await deps.client.send(
          { method: "GET", target: `/metadata/identity/oauth2/token?${query.toString()}`, headers: { Metadata: "true" }, operation: "token" },
          ctx.deadline,
          ctx.signal,
        );
        if (res.status !== 200) throw new UpstreamAnswer(res, parseRetryAfter(res.headers["retry-after"], deps.clock.now()));
        let json: unknown;
        try {
          json = JSON.parse(res.body.toString("utf8"));
        } catch {
          throw new NmiError("PODID_NMI_UPSTREAM_UNAVAILABLE", "imds-bad-json");
        }
        const parsed = ImdsTokenSchema.safeParse(json);
        if (!parsed.success) throw new NmiError("PODID_NMI_UPSTREAM_UNAVAILABLE", "imds-bad-token-shape");
        const t = parsed.data;
        const token: Token = { accessToken: t.access_token, expiresOn: t.expires_on, tokenType: t.token_type ?? "Bearer", clientId: t.client_id ?? identity.clientId };
        if (t.not_before !== undefined) token.notBefore = t.not_before;
        if (t.ext_expires_in !== undefined) token.extExpiresIn = t.ext_expires_in;
        return token;
      };
      try {
        return await withRetries(attempt, {
          clock: deps.clock,
          deadline: ctx.deadline,
          signal: ctx.signal,
          baseMs: deps.retryBaseMs,
          classify: (err) => {
            if (err instanceof ImdsNetworkError) return { retry: true };
            if (err instanceof UpstreamAnswer && retryable(err.response)) {
              const d: { retry: boolean; retryAfterSeconds?: number } = { retry: true };
              if (err.retryAfterSeconds !== undefined) d.retryAfterSeconds = err.retryAfterSeconds;
              return d;
            }
            return { retry: false };
          },
        });
      } catch (err) {
        throw toNmiError(err);
      }
    },
  };
}
