// Verifies a certificate client assertion (RFC 7523) as Entra ID does: the key is chosen by the
// header thumbprint, the RS256/PS256 signature must verify, iss = sub = client id,
// aud = the token endpoint, and the time window must hold (5 minutes of clock skew).
import { constants, verify } from "node:crypto";
import { z } from "zod";
import type { AppRecord } from "./directory.ts";
import { aadErrors, type AadError } from "./errors.ts";

export const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const SKEW_SECONDS = 300;

const headerSchema = z.object({
  alg: z.string(),
  x5t: z.string().optional(),
  "x5t#S256": z.string().optional(),
}).loose();

const payloadSchema = z.object({
  aud: z.union([z.string(), z.array(z.string())]),
  iss: z.string(),
  sub: z.string(),
  exp: z.number(),
  nbf: z.number().optional(),
}).loose();

function part<T>(schema: z.ZodType<T>, text: string | undefined): T | undefined {
  try {
    const r = schema.safeParse(JSON.parse(Buffer.from(text ?? "", "base64url").toString("utf8")));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

/** undefined when the assertion is valid for this app and token endpoint. */
export function checkClientAssertion(jwt: string, app: AppRecord, tokenEndpoint: string): AadError | undefined {
  const parts = jwt.split(".");
  const header = part(headerSchema, parts[0]);
  const payload = part(payloadSchema, parts[1]);
  if (parts.length !== 3 || !header || !payload) return aadErrors.malformedAssertion("The assertion is not a JWS with the required claims.");
  if (header.alg !== "RS256" && header.alg !== "PS256") return aadErrors.invalidSignature(`Unsupported algorithm '${header.alg}'.`);
  const strip = (s: string | undefined) => s?.replace(/=+$/, "");
  const cert = app.certificates.find((c) =>
    (header["x5t#S256"] !== undefined && c.x5tS256 === strip(header["x5t#S256"])) || (header.x5t !== undefined && c.x5t === strip(header.x5t)));
  if (!cert) {
    return aadErrors.invalidSignature(`The key was not found., Thumbprint of key used by client: '${header["x5t#S256"] ?? header.x5t ?? ""}'`);
  }
  const key = header.alg === "PS256"
    ? { key: cert.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
    : cert.publicKey;
  if (!verify("sha256", Buffer.from(`${parts[0]}.${parts[1]}`), key, Buffer.from(parts[2] ?? "", "base64url"))) {
    return aadErrors.invalidSignature("The signature does not verify with the registered certificate.");
  }
  if (payload.iss !== app.clientId || payload.sub !== app.clientId) return aadErrors.assertionClientMismatch();
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (!audiences.some((a) => a.toLowerCase() === tokenEndpoint.toLowerCase())) {
    return aadErrors.malformedAssertion(`Invalid audience '${audiences.join(",")}'; expected '${tokenEndpoint}'.`);
  }
  const now = Math.floor(Date.now() / 1000);
  if (payload.exp + SKEW_SECONDS < now || (payload.nbf ?? 0) - SKEW_SECONDS > now) return aadErrors.assertionTime(now, payload.nbf, payload.exp);
  return undefined;
}
