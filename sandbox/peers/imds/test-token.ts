// JWT-shaped tokens the Azure peers issue. They are not meant to be verified (IMDS tokens are
// unsigned); they let a test decode which identity, audience and tenant a token was issued for.
import { z } from "zod";

const claimsSchema = z.object({
  aud: z.string(),
  iss: z.string(),
  iat: z.number(),
  nbf: z.number().optional(),
  exp: z.number(),
  tid: z.string(),
  appid: z.string().optional(),
  oid: z.string().optional(),
  sub: z.string().optional(),
  xms_mirid: z.string().optional(),
  idtyp: z.string().optional(),
}).loose();

export type TestTokenClaims = z.infer<typeof claimsSchema>;

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");

/** `header.payload.signature`, with an unsigned header unless the caller brings its own. */
export function encodeTestToken(
  claims: TestTokenClaims,
  header: Record<string, string> = { typ: "JWT", alg: "none" },
  sign: (signingInput: string) => string = () => "unsigned",
): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${sign(input)}`;
}

/** Decodes (does not verify) a token from the IMDS or Entra ID peer; throws if it is not one. */
export function decodeTestToken(token: string): TestTokenClaims {
  const payload = token.split(".")[1];
  if (payload === undefined) throw new Error("not a JWT-shaped token");
  return claimsSchema.parse(JSON.parse(Buffer.from(payload, "base64url").toString("utf8")));
}
