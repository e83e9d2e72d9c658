// Kubernetes `Status` failures, shaped exactly like the real API server's (clients read
// `reason`, `code` and `details`; kubectl prints `message`).
import type { JsonObject, ResourceDef } from "./types.ts";

export interface StatusCause { reason: string; message: string; field?: string }

export class KubeError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: JsonObject,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  toStatus(): JsonObject {
    const s: JsonObject = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: this.message, reason: this.reason };
    if (this.details) s.details = this.details;
    s.code = this.code;
    return s;
  }
}

/** `azureidentities.aadpodidentity.k8s.io` or `pods`, as the server names a group-resource. */
export function qualified(def: Pick<ResourceDef, "plural" | "group">): string {
  return def.group === "" ? def.plural : `${def.plural}.${def.group}`;
}

function details(def: Pick<ResourceDef, "plural" | "group">, name: string): JsonObject {
  const d: JsonObject = { name };
  if (def.group !== "") d.group = def.group;
  d.kind = def.plural;
  return d;
}

type GR = Pick<ResourceDef, "plural" | "group">;

export const notFound = (def: GR, name: string): KubeError =>
  new KubeError(404, "NotFound", `${qualified(def)} "${name}" not found`, details(def, name));
export const alreadyExists = (def: GR, name: string): KubeError =>
  new KubeError(409, "AlreadyExists", `${qualified(def)} "${name}" already exists`, details(def, name));
export const conflict = (def: GR, name: string, why = "the object has been modified; please apply your changes to the latest version and try again"): KubeError =>
  new KubeError(409, "Conflict", `Operation cannot be fulfilled on ${qualified(def)} "${name}": ${why}`, details(def, name));
export const badRequest = (message: string): KubeError => new KubeError(400, "BadRequest", message);
export const expired = (message: string): KubeError => new KubeError(410, "Expired", message);
export const noRoute = (): KubeError =>
  new KubeError(404, "NotFound", "the server could not find the requested resource", {});
export const methodNotAllowed = (): KubeError =>
  new KubeError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {});
export const unsupportedMediaType = (type: string, accepted: string[]): KubeError =>
  new KubeError(415, "UnsupportedMediaType",
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(", ")}`,
    { causes: [{ reason: "UnexpectedServerResponse", message: type }] });
export const unauthorized = (): KubeError => new KubeError(401, "Unauthorized", "Unauthorized");
export const tooLargeResourceVersion = (rv: string, current: number): KubeError =>
  new KubeError(504, "Timeout", `Too large resource version: ${rv}, current: ${current}`,
    { causes: [{ reason: "ResourceVersionTooLarge", message: "Too large resource version" }], retryAfterSeconds: 1 }, 1);

/** 422 Invalid with one cause per field error, message formatted like apimachinery's. */
export function invalid(def: Pick<ResourceDef, "kind" | "group">, name: string, causes: StatusCause[]): KubeError {
  const parts = causes.map((c) => `${c.field ?? ""}: ${c.message}`);
  const what = def.group === "" ? def.kind : `${def.kind}.${def.group}`;
  const joined = parts.length === 1 ? parts[0] ?? "" : `[${parts.join(", ")}]`;
  const d: JsonObject = { name };
  if (def.group !== "") d.group = def.group;
  d.kind = def.kind;
  d.causes = causes.map((c) => ({ ...c }));
  return new KubeError(422, "Invalid", `${what} "${name}" is invalid: ${joined}`, d);
}

/** 403 with the real server's wording, e.g. `pods "x" is forbidden: User "u" cannot get resource "pods" in API group "" in the namespace "ns"`. */
export function forbidden(a: { user: { username: string }; verb: string; group: string; resource: string; subresource: string; namespace: string; name: string; resourceRequest: boolean; path: string }, reason?: string): KubeError {
  const suffix = reason ? `: ${reason}` : "";
  if (!a.resourceRequest) {
    return new KubeError(403, "Forbidden", `forbidden: User "${a.user.username}" cannot ${a.verb} path "${a.path}"${suffix}`, {});
  }
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const gr = a.group ? `${a.resource}.${a.group}` : a.resource;
  const subject = a.name ? `${gr} "${a.name}"` : gr;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : "at the cluster scope";
  const d: JsonObject = {};
  if (a.name) d.name = a.name;
  if (a.group) d.group = a.group;
  d.kind = a.resource;
  return new KubeError(403, "Forbidden",
    `${subject} is forbidden: User "${a.user.username}" cannot ${a.verb} resource "${res}" in API group "${a.group}" ${scope}${suffix}`, d);
}

const REASONS: Record<number, string> = {
  400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
  409: "Conflict", 410: "Expired", 415: "UnsupportedMediaType", 422: "Invalid", 429: "TooManyRequests",
  500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout",
};

/** A Status for an injected fault: the reason a real server uses for that code. */
export function forCode(code: number, reason?: string, message?: string, retryAfterSeconds?: number): KubeError {
  const r = reason ?? REASONS[code] ?? "Unknown";
  const d: JsonObject = retryAfterSeconds === undefined ? {} : { retryAfterSeconds };
  return new KubeError(code, r, message ?? `injected ${r}`, d, retryAfterSeconds);
}
