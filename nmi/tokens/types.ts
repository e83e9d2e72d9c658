// What token sources return and how they are called.
import type { ResolvedIdentity } from "../rules/identity-spec.ts";

export interface Token {
  accessToken: string;
  /** Epoch seconds. */
  expiresOn: number;
  /** Epoch seconds, when the upstream said. */
  notBefore?: number;
  /** Seconds, when the upstream said (IMDS: ext_expires_in). */
  extExpiresIn?: number;
  tokenType: string;
  /** Client id the upstream reports (IMDS) or the identity's. */
  clientId: string;
}

export interface AcquireContext {
  /** Epoch ms after which no more upstream attempts start. */
  deadline: number;
  signal: AbortSignal;
}

export interface TokenSource {
  acquire(identity: ResolvedIdentity, resource: string, ctx: AcquireContext): Promise<Token>;
}

export interface TokenSources {
  /** type 0: IMDS with the identity's client_id. */
  msi: TokenSource;
  /** type 1: MSAL client credentials with a client secret. */
  secret: TokenSource;
  /** type 2: MSAL client credentials with a PKCS#12 certificate. */
  certificate: TokenSource;
}

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      }
      signal?.addEventListener("abort", done, { once: true });
    }),
};
