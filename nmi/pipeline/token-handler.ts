// GET /metadata/identity/oauth2/token — the pod-facing pipeline:
// Metadata header → query → pod by source IP (wait) → exception? proxy → authorize (wait) →
// token (cache) → IMDS JSON. Every refusal names a catalog code and a reason.
import { NmiError } from "../errors.ts";
import { sendJson } from "../http/respond.ts";
import { normaliseIp } from "../rules/pod-lookup.ts";
import { checkMetadataHeader } from "../rules/token-request.ts";
import { decideForCaller } from "./decide.ts";
import { cachedToken, imdsJson, resolveOrRefuse, tokenFor } from "./issue-token.ts";
import { proxyToImds } from "./proxy.ts";
import { asNmiError, type RequestScope } from "./runtime.ts";
import { tokenRequestOrFail } from "./token-query.ts";
import { waitWhileTransient } from "./wait.ts";

export async function handleToken(scope: RequestScope): Promise<void> {
  const { req, rt } = scope;
  if (req.method !== "GET") {
    scope.fail(new NmiError("PODID_NMI_METHOD_NOT_ALLOWED", "method-not-get"));
    return;
  }
  // Before anything else, and without touching state: the SDK probe (no header) gets its
  // answer in microseconds.
  const header = checkMetadataHeader(req.headers.metadata, rt.config.metadataHeaderRequired);
  if (!header.ok) {
    scope.fail(new NmiError("PODID_NMI_METADATA_HEADER_REQUIRED", header.reason));
    return;
  }
  const request = tokenRequestOrFail(scope);
  if (!request) return;
  const { resource, selector } = request;
  if (selector?.kind === "client_id") scope.bind({ clientId: selector.value });

  const ip = normaliseIp(req.socket.remoteAddress);
  // Settled at once (the common case): no wait loop, no promise, no closure.
  const first = decideForCaller(ip, selector, rt.store, rt.config);
  const decision = !first.transient ? first : await waitWhileTransient(() => decideForCaller(ip, selector, rt.store, rt.config), {
    store: rt.store,
    clock: rt.clock,
    deadline: rt.clock.now() + rt.config.waitBudgetMs,
    pollIntervalMs: rt.config.pollIntervalMs,
    caller: scope,
  });
  if (decision.pod) scope.bind({ pod: decision.pod.metadata.name, namespace: decision.pod.metadata.namespace ?? "default" });
  if (decision.kind === "refuse") {
    scope.fail(new NmiError(decision.code, decision.reason, decision.description));
    return;
  }
  if (decision.kind === "except") {
    await proxyToImds(scope, decision.reason, "excepted");
    return;
  }
  try {
    const identity = resolveOrRefuse(decision.identity);
    scope.bind({ identity: identity.name, clientId: identity.clientId });
    const hit = cachedToken(rt, identity, resource);
    const { token, outcome } = hit ? { token: hit, outcome: "hit" } : await tokenFor(rt, identity, resource, scope);
    sendJson(scope.res, 200, imdsJson(token, resource, rt.clock.now(), selector));
    scope.finish(200, "token", `${decision.reason}:cache-${outcome}`);
  } catch (err) {
    if (scope.signal.aborted && !(err instanceof NmiError)) {
      scope.finish(499, "error", "client-gone");
      return;
    }
    scope.fail(asNmiError(err, scope));
  }
}
