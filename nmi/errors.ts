// The NMI error catalog: code → HTTP status → IMDS-style body. Handlers never pick a status
// inline; they name a code. Tests assert `x-podid-error`, never the prose.
//
// Transient states and the status we answer with (why):
// - "waiting for the cluster" (pod not indexed yet, assignment still Created, IMDS's "Identity
//   not found" while an assignment propagates) → 404 + Retry-After. 404 is what IMDS itself
//   answers while an identity is being set up and what aad-pod-identity's NMI answered, and it
//   is the status real clients retry most patiently: @azure/identity's imdsRetryPolicy retries
//   404 five times (0.8 s doubling, ≈25 s of backoff), msal-node's ImdsRetryPolicy retries it,
//   and Azure's IMDS guidance lists it as retryable. 503 would get only the default pipeline's
//   3 retries in @azure/identity.
// - upstream throttled after our own retries → 429 + Retry-After (core-rest-pipeline's
//   throttling policy and msal honour it).
// - upstream 5xx/network after our own retries, informers not synced, API server unreachable
//   → 503 + Retry-After (every SDK retries 5xx; Retry-After honoured on 503).
// Final states (nothing bound, identity not permitted, Failed assignment) → 403 at once.

export interface ErrorSpec {
  status: number;
  /** IMDS `error` value (the Swagger enum where one fits). */
  error: string;
  transient: boolean;
}

export const NMI_ERRORS = {
  PODID_NMI_METADATA_HEADER_REQUIRED: { status: 400, error: "invalid_request", transient: false },
  PODID_NMI_RESOURCE_REQUIRED: { status: 400, error: "invalid_request", transient: false },
  PODID_NMI_INVALID_QUERY: { status: 400, error: "invalid_request", transient: false },
  PODID_NMI_NON_CANONICAL_PATH: { status: 400, error: "invalid_request", transient: false },
  PODID_NMI_HOST_HEADERS_REQUIRED: { status: 400, error: "invalid_request", transient: false },
  PODID_NMI_NOT_FOUND: { status: 404, error: "not_found", transient: false },
  PODID_NMI_METHOD_NOT_ALLOWED: { status: 405, error: "method_not_allowed", transient: false },
  PODID_NMI_INSTANCE_METADATA_BLOCKED: { status: 403, error: "forbidden", transient: false },
  PODID_NMI_HOST_ONLY: { status: 403, error: "forbidden", transient: false },
  PODID_NMI_HOST_CALLER: { status: 403, error: "forbidden", transient: false },
  PODID_NMI_NO_IDENTITY_BOUND: { status: 403, error: "forbidden", transient: false },
  PODID_NMI_IDENTITY_NOT_PERMITTED: { status: 403, error: "forbidden", transient: false },
  PODID_NMI_ASSIGNMENT_FAILED: { status: 403, error: "forbidden", transient: false },
  PODID_NMI_IDENTITY_INVALID: { status: 403, error: "forbidden", transient: false },
  PODID_NMI_SECRET_INVALID: { status: 403, error: "forbidden", transient: false },
  PODID_NMI_TOKEN_REQUEST_REJECTED: { status: 403, error: "forbidden", transient: false },
  PODID_NMI_POD_NOT_FOUND: { status: 404, error: "not_found", transient: true },
  PODID_NMI_POD_AMBIGUOUS: { status: 404, error: "not_found", transient: true },
  PODID_NMI_ASSIGNMENT_PENDING: { status: 404, error: "not_found", transient: true },
  PODID_NMI_IDENTITY_NOT_YET_AVAILABLE: { status: 404, error: "not_found", transient: true },
  PODID_NMI_UPSTREAM_THROTTLED: { status: 429, error: "too_many_requests", transient: true },
  PODID_NMI_UPSTREAM_UNAVAILABLE: { status: 503, error: "service_unavailable", transient: true },
  PODID_NMI_KUBE_UNAVAILABLE: { status: 503, error: "service_unavailable", transient: true },
  PODID_NMI_NOT_READY: { status: 503, error: "service_unavailable", transient: true },
  PODID_NMI_INTERNAL: { status: 500, error: "server_error", transient: false },
} as const satisfies Record<string, ErrorSpec>;

export type NmiErrorCode = keyof typeof NMI_ERRORS;

export const ERROR_HEADER = "x-podid-error";

/** Default prose per code; callers may pass a more specific description. */
const DESCRIPTIONS: Record<NmiErrorCode, string> = {
  // Same text as IMDS and the old NMI: some clients look for it.
  PODID_NMI_METADATA_HEADER_REQUIRED: "Required metadata header not specified",
  PODID_NMI_RESOURCE_REQUIRED: "parameter resource cannot be empty",
  PODID_NMI_INVALID_QUERY: "invalid query parameters",
  PODID_NMI_NON_CANONICAL_PATH: "Invalid request: the token path is not canonical",
  PODID_NMI_HOST_HEADERS_REQUIRED: "headers podns and podname are required",
  PODID_NMI_NOT_FOUND: "not found",
  PODID_NMI_METHOD_NOT_ALLOWED: "method not allowed",
  PODID_NMI_INSTANCE_METADATA_BLOCKED: "Request blocked by AAD Pod Identity NMI",
  PODID_NMI_HOST_ONLY: "request remote address is not from a host",
  PODID_NMI_HOST_CALLER: "requests from the node itself are not served on the pod token path; use /host/token/",
  PODID_NMI_NO_IDENTITY_BOUND: "no AzureIdentity is bound to this pod",
  PODID_NMI_IDENTITY_NOT_PERMITTED: "the requested identity is not bound to this pod",
  PODID_NMI_ASSIGNMENT_FAILED: "the identity could not be assigned to this node",
  PODID_NMI_IDENTITY_INVALID: "the AzureIdentity is incomplete",
  PODID_NMI_SECRET_INVALID: "the service principal secret is missing or invalid",
  PODID_NMI_TOKEN_REQUEST_REJECTED: "the token request was rejected",
  PODID_NMI_POD_NOT_FOUND: "no running pod on this node has the caller's IP (yet)",
  PODID_NMI_POD_AMBIGUOUS: "the caller's IP belongs to more than one pod on this node",
  PODID_NMI_ASSIGNMENT_PENDING: "the identity is being assigned to this node",
  PODID_NMI_IDENTITY_NOT_YET_AVAILABLE: "the identity is not yet available on this node",
  PODID_NMI_UPSTREAM_THROTTLED: "the token service is throttling requests",
  PODID_NMI_UPSTREAM_UNAVAILABLE: "the token service is unavailable",
  PODID_NMI_KUBE_UNAVAILABLE: "the Kubernetes API server is unavailable",
  PODID_NMI_NOT_READY: "NMI has not synchronised with the cluster yet",
  PODID_NMI_INTERNAL: "internal error",
};

/** A classified failure travelling through the pipeline. */
export class NmiError extends Error {
  override readonly name = "NmiError";
  constructor(
    readonly code: NmiErrorCode,
    readonly reason: string,
    description?: string,
    /** Upstream's Retry-After (seconds), when it gave one. */
    readonly retryAfterSeconds?: number,
  ) {
    super(description ?? DESCRIPTIONS[code]);
  }
}

export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: { error: string; error_description: string };
}

export function errorResponse(err: NmiError, defaultRetryAfterSeconds: number): ErrorResponse {
  const spec: ErrorSpec = NMI_ERRORS[err.code];
  const headers: Record<string, string> = { [ERROR_HEADER]: err.code };
  if (spec.transient) headers["retry-after"] = String(err.retryAfterSeconds ?? defaultRetryAfterSeconds);
  return { status: spec.status, headers, body: { error: spec.error, error_description: err.message } };
}

export function isTransient(code: NmiErrorCode): boolean {
  return NMI_ERRORS[code].transient;
}

export function describe(code: NmiErrorCode): string {
  return DESCRIPTIONS[code];
}
