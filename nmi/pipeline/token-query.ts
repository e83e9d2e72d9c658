// The token query of a request (pod-facing and /host/token/ alike): parsed by the pure rule,
// a refusal answered at once, the resource recorded on the request's scope for logs/metrics.
import { NmiError } from "../errors.ts";
import { normaliseResource, parseTokenQuery, type TokenRequest } from "../rules/token-request.ts";
import type { RequestScope } from "./runtime.ts";

/** The parsed token request, or undefined after answering the request with the refusal. */
export function tokenRequestOrFail(scope: RequestScope): TokenRequest | undefined {
  const url = scope.req.url ?? "";
  const q = url.indexOf("?");
  const parsed = parseTokenQuery(q === -1 ? "" : url.slice(q + 1));
  if (!parsed.ok) {
    scope.fail(new NmiError(parsed.code, parsed.reason, parsed.description));
    return undefined;
  }
  // The metric label: normalised like the cache key, so `…/`, `…//` … cannot each add a series.
  scope.resource = normaliseResource(parsed.request.resource);
  return parsed.request;
}
