// The MIC's one ARM error catalog (functions/mic/arm/errors.ts): every failure lands in exactly
// one class — retryable, per identity, host-level — from the shapes the SDK throws and the
// bodies of failed long-running operations.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ArmFailureCode, classifyArmError, classifyOperationError, identitiesNamedBy, namedInMessage, parseRetryAfter,
} from "../../../functions/mic/arm/errors.ts";

const UAI = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/ids/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-a";
const UAI_B = UAI.replace("id-a", "id-b");

/** What @azure/core-rest-pipeline's RestError looks like to the classifier. */
function restError(statusCode: number, code: string | undefined, message: string, headers: Record<string, string> = {}) {
  return Object.assign(new Error(message), {
    name: "RestError", statusCode, code,
    response: { headers: { get: (n: string) => headers[n.toLowerCase()] } },
  });
}

test("HTTP errors by status and code (table)", () => {
  const cases: Array<[number, string | undefined, string, "retryable" | "identity" | "host"]> = [
    [409, "Conflict", "The request failed due to conflict with a concurrent request.", "retryable"],
    [409, "OperationNotAllowed", "The scale set is marked for deletion and cannot be updated.", "host"],
    [429, "TooManyRequests", "throttled", "retryable"],
    [500, "InternalServerError", "boom", "retryable"],
    [502, undefined, "bad gateway", "retryable"],
    [503, "ServiceUnavailable", "later", "retryable"],
    [401, "InvalidAuthenticationToken", "token expired", "retryable"],
    [408, undefined, "timeout", "retryable"],
    [400, "FailedIdentityOperation", `Identity (${UAI}) was not found.`, "identity"],
    [403, "LinkedAuthorizationFailed", `The client has permission … but it does not have permission to perform action 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action' on the linked scope(s) '${UAI}'`, "identity"],
    [400, "InvalidParameter", `Resource '${UAI}' is not a valid user assigned identity.`, "identity"],
    [403, "AuthorizationFailed", "The client does not have authorization to perform action 'Microsoft.Compute/virtualMachineScaleSets/write'", "host"],
    [404, "ResourceNotFound", "The Resource 'Microsoft.Compute/virtualMachineScaleSets/x' was not found.", "host"],
    [404, "ParentResourceNotFound", "gone", "host"],
    [400, "BadRequest", "something else", "host"],
  ];
  for (const [status, code, message, cls] of cases) {
    const f = classifyArmError(restError(status, code, message));
    assert.equal(f.class, cls, `${status} ${code ?? ""}`);
    assert.equal(f.status, status);
    assert.equal(f.code, code ?? `HTTP${status}`);
  }
});

test("429 and 503 carry Retry-After (seconds or HTTP date) for the durable backoff", () => {
  assert.equal(classifyArmError(restError(429, "TooManyRequests", "slow down", { "retry-after": "17" })).retryAfterMs, 17_000);
  const now = Date.parse("2026-01-01T00:00:00Z");
  const f = classifyArmError(restError(503, undefined, "later", { "retry-after": "Thu, 01 Jan 2026 00:01:30 GMT" }), now);
  assert.equal(f.retryAfterMs, 90_000);
  assert.equal(classifyArmError(restError(429, undefined, "x")).retryAfterMs, undefined);
});

test("no HTTP answer: network and credential failures are retryable with podid codes", () => {
  const net = classifyArmError(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:443"), { code: "ECONNREFUSED" }));
  assert.deepEqual([net.class, net.code], ["retryable", ArmFailureCode.Network]);
  const cred = classifyArmError(Object.assign(new Error("DefaultAzureCredential failed"), { name: "CredentialUnavailableError" }));
  assert.deepEqual([cred.class, cred.code], ["retryable", ArmFailureCode.Credential]);
  assert.equal(classifyArmError("weird").class, "retryable");
});

test("failed or canceled long-running operations", () => {
  assert.equal(classifyOperationError("canceled", undefined).class, "retryable");
  assert.equal(classifyOperationError("failed", { code: "OperationPreempted", message: "preempted by a more recent operation" }).class, "retryable");
  assert.equal(classifyOperationError("failed", { code: "InternalExecutionError", message: "x" }).class, "retryable");
  const id = classifyOperationError("failed", { code: "FailedIdentityOperation", message: `Identity (${UAI}) was not found.` });
  assert.equal(id.class, "identity");
  assert.deepEqual(id.named, [UAI]);
  assert.equal(classifyOperationError("failed", { code: "AuthorizationFailed", message: "no" }).class, "host");
  assert.equal(classifyOperationError("failed", { code: "ResourceNotFound", message: "gone" }).class, "host");
  assert.equal(classifyOperationError("failed", { code: "SomethingNew", message: "?" }).class, "retryable", "unknown: retried, bounded by the orchestration");
  assert.equal(classifyOperationError("failed", undefined).code, ArmFailureCode.Unknown);
});

test("per-identity failures name their ids; only the ids sent are dropped, case-insensitively", () => {
  const named = namedInMessage(`Identities '${UAI},${UAI_B}' failed; also ${UAI.toLowerCase()}`);
  assert.ok(named.includes(UAI) && named.includes(UAI_B));
  const f = classifyArmError(restError(400, "FailedIdentityOperation", `Identity (${UAI.toLowerCase()}) was not found.`));
  assert.deepEqual(identitiesNamedBy(f, [UAI, UAI_B]), [UAI], "the sent spelling is kept");
  assert.deepEqual(identitiesNamedBy({ ...f, named: [] }, [UAI]), [], "names nothing sent: the orchestration escalates to host-level");
});

test("parseRetryAfter: absent, zero, negative, garbage and past dates are 'none'", () => {
  for (const v of [undefined, null, "", "0", "-5", "soon", "Thu, 01 Jan 1970 00:00:00 GMT"]) assert.equal(parseRetryAfter(v), undefined, String(v));
  assert.equal(parseRetryAfter("1.5"), 1_500);
});
