// Claims-based security ($cbs put-token). Without configured rules every token is accepted;
// with rules, SAS signatures are checked the way the broker does (HMAC-SHA256 over
// "<url-encoded resource>\n<expiry>" with the named rule's key), and each connection remembers
// the audiences it holds a token for and the claims (Send / Listen / Manage) that token carries.
// A queue-level rule only signs tokens for its own queue.
import { createHmac, timingSafeEqual } from "node:crypto";
import { asString } from "./amqp-util.ts";
import type { AmqpMessage } from "./codec.ts";
import { type AmqpFailure, Cond, fail, type SasRight, type SasRule } from "./types.ts";

export interface CbsPolicy {
  /** keyName (lower-cased) → rule; undefined = auth off (every token and link accepted). */
  rules?: ReadonlyMap<string, SasRule> | undefined;
  acceptJwt?: boolean | ((token: string, audience: string) => boolean | SasRight[]) | undefined;
}

export interface CbsReply {
  status: number;
  description: string;
}

/** Audience path (lower-cased) → claims granted on it, per connection. */
export type Grants = Map<string, Set<SasRight>>;

/** Namespace rules from `sasKeys` (all rights) plus explicit rules; undefined when neither is set. */
export function buildRules(sasKeys: Record<string, string> | undefined, sasRules: SasRule[] | undefined): Map<string, SasRule> | undefined {
  if (sasKeys === undefined && sasRules === undefined) return undefined;
  const rules = new Map<string, SasRule>();
  for (const [name, key] of Object.entries(sasKeys ?? {})) rules.set(name.toLowerCase(), { name, key, rights: ["Manage"] });
  for (const r of sasRules ?? []) rules.set(r.name.toLowerCase(), r);
  return rules;
}

/** Entity path of an audience such as `sb://127.0.0.1:5672/queue/$management`, lower-cased. */
export function audiencePath(audience: string): string {
  const withoutScheme = audience.replace(/^[a-z]+:\/\//i, "");
  const slash = withoutScheme.indexOf("/");
  return slash < 0 ? "" : withoutScheme.slice(slash + 1).replace(/\/+$/, "").toLowerCase();
}

function covers(granted: string, path: string): boolean {
  return granted === "" || path === granted || path.startsWith(granted + "/");
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

export type SasCheck = CbsReply & { rights?: SasRight[] };

export function checkSas(token: string, audience: string, rules: ReadonlyMap<string, SasRule>, nowSec: number): SasCheck {
  const f = parseSas(token);
  const sr = f.get("sr"); const sig = f.get("sig"); const se = f.get("se"); const skn = f.get("skn");
  if (sr === undefined || sig === undefined || se === undefined || skn === undefined) {
    return { status: 401, description: "Malformed SharedAccessSignature." };
  }
  const keyName = safeDecode(skn);
  const rule = keyName === undefined ? undefined : rules.get(keyName.toLowerCase());
  if (rule === undefined) return { status: 401, description: `Unknown SharedAccessKeyName '${skn}'.` };
  if (!(Number(se) > nowSec)) return { status: 401, description: "The token is expired." };
  const expected = createHmac("sha256", rule.key).update(`${sr}\n${se}`).digest();
  const given = Buffer.from(safeDecode(sig) ?? "", "base64");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { status: 401, description: "InvalidSignature: The token has an invalid signature." };
  }
  const resource = audiencePath(safeDecode(sr) ?? "");
  if (!covers(resource, audiencePath(audience))) {
    return { status: 401, description: `The token's resource '${sr}' does not cover '${audience}'.` };
  }
  // A queue's rule exists only on that queue: its key cannot sign for the namespace or another queue.
  if (rule.queue !== undefined && !covers(rule.queue.toLowerCase(), resource)) {
    return { status: 401, description: `InvalidSignature: the rule '${rule.name}' of '${rule.queue}' does not cover '${sr}'.` };
  }
  return { status: 202, description: "Accepted", rights: rule.rights };
}

/** Validates one put-token request; on success the audience and its claims are added to `granted`. */
export function handlePutToken(req: AmqpMessage, policy: CbsPolicy, granted: Grants): CbsReply {
  const props = (req.application_properties ?? {}) as Record<string, unknown>;
  const op = asString(props.operation);
  const type = asString(props.type);
  const audience = asString(props.name);
  const token = asString(req.body);
  if (op !== "put-token" || audience === undefined || token === undefined) {
    return { status: 400, description: "Expected a put-token request with name and a string token." };
  }
  let reply: SasCheck = { status: 202, description: "Accepted", rights: ["Manage"] };
  if (policy.rules !== undefined) {
    if (type === "jwt") {
      const accept = policy.acceptJwt;
      const ok = typeof accept === "function" ? accept(token, audience) : accept === true;
      reply = ok === false ? { status: 401, description: "jwt tokens are not accepted by this namespace." }
        : { ...reply, rights: ok === true ? ["Manage"] : ok };
    } else {
      reply = checkSas(token, audience, policy.rules, Math.floor(Date.now() / 1000));
    }
  }
  if (reply.status === 202) {
    const path = audiencePath(audience);
    const claims = granted.get(path) ?? new Set<SasRight>();
    for (const r of reply.rights ?? []) claims.add(r);
    granted.set(path, claims);
  }
  return { status: reply.status, description: reply.description };
}

/**
 * Whether this connection may use `address` for `need` ("any" = holds some token covering it, as
 * for attaching a $management link). The refusal reads like the broker's.
 */
export function authorize(address: string, need: SasRight | "any", policy: CbsPolicy, granted: Grants, host: string): AmqpFailure | undefined {
  if (policy.rules === undefined) return undefined;
  const path = address.toLowerCase();
  let holdsToken = false;
  for (const [g, claims] of granted) {
    if (!covers(g, path)) continue;
    holdsToken = true;
    if (need === "any" || claims.has(need) || claims.has("Manage")) return undefined;
  }
  if (!holdsToken) return fail(Cond.unauthorized, `Unauthorized access to '${address}': put a token on $cbs first.`);
  return fail(Cond.unauthorized, `Unauthorized access. '${need}' claim(s) are required to perform this operation. Resource: 'sb://${host}/${address}'.`);
}
