// The MIC's ARM error catalog (DESIGN §5, §10): every ARM failure — an error response, a failed
// or canceled long-running operation, a network or credential error — is put in ONE of three
// classes here, and nowhere else:
//   retryable — 409 Conflict, 429 (+ Retry-After), 5xx, network/credential, a preempted or
//               canceled operation: back off with a durable timer, then retry from GET;
//   identity  — FailedIdentityOperation, LinkedAuthorizationFailed, InvalidParameter naming an
//               id: drop only the named identities, mark their assignments Failed, retry the rest;
//   host      — host gone (404), marked for deletion (409), AuthorizationFailed (403), any other
//               4xx: statuses Failed, record lastError, no hot loop.
// Failures are plain JSON (they travel through durable activity results).
import { resourceIdKey } from "../../../core/index.ts";

export type ArmFailureClass = "retryable" | "identity" | "host";

export interface ArmFailure {
  class: ArmFailureClass;
  /** ARM's error code, or a PODID_ARM_* code for failures ARM did not name. */
  code: string;
  message: string;
  status?: number;
  /** Server-requested delay (Retry-After), when given. */
  retryAfterMs?: number;
  /** identity: resource ids (or quoted values) the message names, as written there. */
  named?: string[];
}

/** Codes for failures that carry no ARM code. */
export const ArmFailureCode = {
  Network: "PODID_ARM_NETWORK",
  Credential: "PODID_ARM_CREDENTIAL",
  Unknown: "PODID_ARM_UNKNOWN",
  OperationTimeout: "PODID_ARM_OPERATION_TIMEOUT",
  RetriesExhausted: "PODID_ARM_RETRIES_EXHAUSTED",
  IdentityRejected: "PODID_ARM_IDENTITY_REJECTED",
} as const;

const IDENTITY_CODES = new Set(["failedidentityoperation", "linkedauthorizationfailed", "invalidparameter"]);
const RETRYABLE_OPERATION_CODES = new Set(["operationpreempted", "conflict", "retryableerror", "internalexecutionerror", "internalservererror", "toomanyrequests"]);

const UAI_ID = /\/subscriptions\/[^/'"\s\\]+\/resourcegroups\/[^/'"\s\\]+\/providers\/microsoft\.managedidentity\/userassignedidentities\/[^/'"\s\\,;)}\]]+/gi;
const QUOTED = /'([^']{1,400})'/g;

/** Ids an ARM message names: user-assigned identity ids anywhere, plus every quoted value. */
export function namedInMessage(message: string): string[] {
  const out = new Set<string>();
  for (const m of message.matchAll(UAI_ID)) out.add(m[0]);
  for (const m of message.matchAll(QUOTED)) {
    for (const part of (m[1] ?? "").split(",")) if (part.trim() !== "") out.add(part.trim());
  }
  return [...out];
}

/** The ids of `candidates` (those sent) that the failure names, compared case-insensitively. */
export function identitiesNamedBy(failure: ArmFailure, candidates: readonly string[]): string[] {
  const named = new Set((failure.named ?? []).map(resourceIdKey));
  return candidates.filter((id) => named.has(resourceIdKey(id)));
}

/** Retry-After: delta-seconds or an HTTP date; undefined when absent or not positive. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === "") return undefined;
  const seconds = Number(value.trim());
  if (Number.isFinite(seconds)) return seconds > 0 ? Math.round(seconds * 1000) : undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) || at <= now ? undefined : at - now;
}

function byCode(code: string, message: string, status: number | undefined, retryAfterMs: number | undefined): ArmFailure {
  const base = { code, message, ...(status !== undefined ? { status } : {}), ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  const c = code.toLowerCase();
  if (status === 429) return { class: "retryable", ...base };
  if (status === 409) return /marked for deletion/i.test(message) ? { class: "host", ...base } : { class: "retryable", ...base };
  if (status === 401 || status === 408 || (status !== undefined && status >= 500)) return { class: "retryable", ...base };
  if (IDENTITY_CODES.has(c)) return { class: "identity", ...base, named: namedInMessage(message) };
  if (status !== undefined && status >= 400) return { class: "host", ...base };
  return { class: "retryable", ...base };
}

interface RestErrorLike {
  statusCode?: number;
  code?: string;
  message?: string;
  name?: string;
  response?: { headers?: { get(name: string): string | undefined | null } };
}

/** Classifies what an ARM request threw (RestError, network error, credential error). */
export function classifyArmError(err: unknown, now = Date.now()): ArmFailure {
  const e = (typeof err === "object" && err !== null ? err : { message: String(err) }) as RestErrorLike;
  const message = typeof e.message === "string" && e.message !== "" ? e.message : String(err);
  const status = typeof e.statusCode === "number" ? e.statusCode : undefined;
  if (status === undefined) {
    // No HTTP answer: token acquisition or the network (DNS, refused, reset, TLS, timeout).
    const credential = /Credential|Authentication/i.test(e.name ?? "");
    return { class: "retryable", code: credential ? ArmFailureCode.Credential : ArmFailureCode.Network, message };
  }
  const retryAfterMs = parseRetryAfter(e.response?.headers?.get("retry-after"), now);
  return byCode(typeof e.code === "string" && e.code !== "" ? e.code : `HTTP${status}`, message, status, retryAfterMs);
}

/** Classifies a long-running operation that ended Failed or Canceled. */
export function classifyOperationError(status: "failed" | "canceled", error: { code?: string; message?: string } | undefined): ArmFailure {
  const code = error?.code ?? (status === "canceled" ? "Canceled" : ArmFailureCode.Unknown);
  const message = error?.message ?? `the operation ended ${status}`;
  if (status === "canceled" || RETRYABLE_OPERATION_CODES.has(code.toLowerCase())) return { class: "retryable", code, message };
  if (IDENTITY_CODES.has(code.toLowerCase())) return { class: "identity", code, message, named: namedInMessage(message) };
  if (/marked for deletion|AuthorizationFailed|NotFound/i.test(code + message)) return { class: "host", code, message };
  // Unknown operation failures are retried (bounded by the orchestration's attempt cap).
  return { class: "retryable", code, message };
}
