// Token request validation (pure): Metadata header, query parameters. Runs before any lookup
// so malformed requests (and the SDK's 1 s probe, which sends no header) are answered at once.
import type { NmiErrorCode } from "../errors.ts";

export type IdSelector =
  | { kind: "client_id"; value: string }
  /** `mi_res_id` (msal's non-IMDS spelling) is folded into msi_res_id. */
  | { kind: "msi_res_id"; value: string; param: "msi_res_id" | "mi_res_id" }
  | { kind: "object_id"; value: string };

export interface TokenRequest {
  resource: string;
  selector?: IdSelector;
}

export type TokenRequestDecision =
  | { ok: true; request: TokenRequest; reason: "valid-token-request" }
  | { ok: false; code: NmiErrorCode; reason: string; description?: string };

const ID_PARAMS = ["client_id", "msi_res_id", "mi_res_id", "object_id"] as const;
/** Parameters IMDS rejects when repeated. */
const SINGLE_PARAMS = ["resource", "api-version", ...ID_PARAMS] as const;

/** `header` is the raw Metadata header value(s) as node delivers them. */
export function checkMetadataHeader(header: string | string[] | undefined, required: boolean): { ok: boolean; reason: string } {
  if (!required) return { ok: true, reason: "metadata-header-not-required" };
  if (header === "true") return { ok: true, reason: "metadata-header-present" };
  return { ok: false, reason: header === undefined ? "metadata-header-missing" : "metadata-header-incorrect" };
}

export function parseTokenQuery(query: string): TokenRequestDecision {
  const params = new URLSearchParams(query);
  for (const name of SINGLE_PARAMS) {
    if (params.getAll(name).length > 1) {
      return { ok: false, code: "PODID_NMI_INVALID_QUERY", reason: "duplicate-parameter", description: `parameter ${name} is repeated` };
    }
  }
  const resource = params.get("resource") ?? "";
  if (resource.trim() === "") return { ok: false, code: "PODID_NMI_RESOURCE_REQUIRED", reason: "resource-missing" };
  const given = ID_PARAMS.filter((n) => (params.get(n) ?? "") !== "");
  if (given.length > 1) {
    return {
      ok: false,
      code: "PODID_NMI_INVALID_QUERY",
      reason: "several-identity-parameters",
      description: `only one of client_id, msi_res_id, mi_res_id, object_id may be given (got ${given.join(", ")})`,
    };
  }
  const request: TokenRequest = { resource };
  const name = given[0];
  if (name !== undefined) {
    const value = (params.get(name) ?? "").trim();
    if (name === "client_id" || name === "object_id") request.selector = { kind: name, value };
    else request.selector = { kind: "msi_res_id", value, param: name };
  }
  return { ok: true, request, reason: "valid-token-request" };
}

/**
 * Cache key part for a resource: with or without the trailing `/` is the same audience. Case
 * is kept: app ID URIs may be case-sensitive paths, and a split cache costs only one call.
 */
export function normaliseResource(resource: string): string {
  return resource.trim().replace(/\/+$/, "");
}
