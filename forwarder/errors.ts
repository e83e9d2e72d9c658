// The forwarder's error catalog: every failure is classified once, here, instead of comparing
// status codes inline. Codes appear in logs, metrics labels and dead-letter reasons.

export const ForwarderErrorCode = {
  /** 404 from the API server. */
  NotFound: "PODID_FWD_NOT_FOUND",
  /** 409 on create: the object exists already (take the update path). */
  AlreadyExists: "PODID_FWD_ALREADY_EXISTS",
  /** 409 on update: stale resourceVersion (re-read, reapply). */
  Conflict: "PODID_FWD_CONFLICT",
  /** 410: watch resourceVersion too old (relist). */
  Gone: "PODID_FWD_GONE",
  /** 429, 5xx, timeouts, connection errors, 401/403 (RBAC may be fixed): try again later. */
  Transient: "PODID_FWD_TRANSIENT",
  /** 400/422 and other 4xx: the API server will never accept this command as it is. */
  Rejected: "PODID_FWD_APPLY_REJECTED",
} as const;
export type ForwarderErrorCodeValue = (typeof ForwarderErrorCode)[keyof typeof ForwarderErrorCode];

/** HTTP status of a client-node ApiException or a watch error, if there is one. */
export function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as { code?: unknown; statusCode?: unknown };
  if (typeof e.code === "number") return e.code;
  if (typeof e.statusCode === "number") return e.statusCode;
  return undefined;
}

/** Classifies a Kubernetes API error; `writeKind` tells a create's 409 from an update's. */
export function classifyKubeError(error: unknown, writeKind: "create" | "update" | "other" = "other"): ForwarderErrorCodeValue {
  const status = httpStatusOf(error);
  if (status === undefined) return ForwarderErrorCode.Transient; // network, timeout, abort
  if (status === 404) return ForwarderErrorCode.NotFound;
  if (status === 409) return writeKind === "create" ? ForwarderErrorCode.AlreadyExists : ForwarderErrorCode.Conflict;
  if (status === 410) return ForwarderErrorCode.Gone;
  if (status === 429 || status >= 500 || status === 401 || status === 403 || status === 408) return ForwarderErrorCode.Transient;
  return ForwarderErrorCode.Rejected;
}

/** Short, log-safe description of an API error (the Status message when the body has one). */
export function describeKubeError(error: unknown): string {
  const status = httpStatusOf(error);
  const body = (error as { body?: unknown } | null)?.body;
  let message: string | undefined;
  if (typeof body === "string") {
    try {
      const parsed = JSON.parse(body) as { message?: unknown };
      if (typeof parsed.message === "string") message = parsed.message;
    } catch {
      message = body.slice(0, 300);
    }
  } else if (typeof body === "object" && body !== null && typeof (body as { message?: unknown }).message === "string") {
    message = (body as { message: string }).message;
  }
  message ??= error instanceof Error ? error.message : String(error);
  return status === undefined ? message : `HTTP ${status}: ${message}`;
}

export class CommandError extends Error {
  override readonly name = "CommandError";
  constructor(readonly code: ForwarderErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
