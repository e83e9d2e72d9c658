// Claims-based security ($cbs put-token). Without configured keys every token is accepted;
// with keys, SAS signatures are checked the way the broker does (HMAC-SHA256 over
// "<url-encoded resource>\n<expiry>") and each connection remembers the audiences it may use.
import { createHmac, timingSafeEqual } from "node:crypto";
import { asString } from "./amqp-util.ts";
import type { AmqpMessage } from "./codec.ts";

export interface CbsPolicy {
  sasKeys?: Record<string, string> | undefined;
  acceptJwt?: boolean | ((token: string, audience: string) => boolean) | undefined;
}

export interface CbsReply {
  status: number;
  description: string;
}

/** Entity path of an audience such as `sb://127.0.0.1:5672/queue/$management`, lower-cased. */
export function audiencePath(audience: string): string {
  const withoutScheme = audience.replace(/^[a-z]+:\/\//i, "");
  const slash = withoutScheme.indexOf("/");
  return slash < 0 ? "" : withoutScheme.slice(slash + 1).replace(/\/+$/, "").toLowerCase();
}

function parseSas(token: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of token.replace(/^SharedAccessSignature\s+/, "").split("&")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return fields;
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

export function checkSas(token: string, audience: string, keys: Record<string, string>, nowSec: number): CbsReply {
  const f = parseSas(token);
  const sr = f.get("sr"); const sig = f.get("sig"); const se = f.get("se"); const skn = f.get("skn");
  if (sr === undefined || sig === undefined || se === undefined || skn === undefined) {
    return { status: 401, description: "Malformed SharedAccessSignature." };
  }
  const keyName = safeDecode(skn);
  const key = keyName === undefined ? undefined : keys[keyName];
  if (key === undefined) return { status: 401, description: `Unknown SharedAccessKeyName '${skn}'.` };
  if (!(Number(se) > nowSec)) return { status: 401, description: "The token is expired." };
  const expected = createHmac("sha256", key).update(`${sr}\n${se}`).digest();
  const given = Buffer.from(safeDecode(sig) ?? "", "base64");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { status: 401, description: "InvalidSignature: The token has an invalid signature." };
  }
  const resource = audiencePath(safeDecode(sr) ?? "");
  if (!audiencePath(audience).startsWith(resource)) {
    return { status: 401, description: `The token's resource '${sr}' does not cover '${audience}'.` };
  }
  return { status: 202, description: "Accepted" };
}

/** Validates one put-token request; on success the audience is added to `granted`. */
export function handlePutToken(req: AmqpMessage, policy: CbsPolicy, granted: Set<string>): CbsReply {
  const props = (req.application_properties ?? {}) as Record<string, unknown>;
  const op = asString(props.operation);
  const type = asString(props.type);
  const audience = asString(props.name);
  const token = asString(req.body);
  if (op !== "put-token" || audience === undefined || token === undefined) {
    return { status: 400, description: "Expected a put-token request with name and a string token." };
  }
  let reply: CbsReply = { status: 202, description: "Accepted" };
  if (policy.sasKeys !== undefined) {
    if (type === "jwt") {
      const accept = policy.acceptJwt;
      const ok = typeof accept === "function" ? accept(token, audience) : accept === true;
      reply = ok ? reply : { status: 401, description: "jwt tokens are not accepted by this namespace." };
    } else {
      reply = checkSas(token, audience, policy.sasKeys, Math.floor(Date.now() / 1000));
    }
  }
  if (reply.status === 202) granted.add(audiencePath(audience));
  return reply;
}

/** Whether a link to `address` is covered by a granted audience (always, without keys). */
export function isAuthorized(address: string, policy: CbsPolicy, granted: Set<string>): boolean {
  if (policy.sasKeys === undefined) return true;
  const path = address.toLowerCase();
  for (const g of granted) if (g === "" || path === g || path.startsWith(g + "/")) return true;
  return false;
}
