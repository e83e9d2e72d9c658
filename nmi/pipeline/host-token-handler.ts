// GET /host/token/ — aad-pod-identity's node-local API: the node itself names a pod with the
// `podns` and `podname` headers. Only loopback callers (never DNAT'ed pod traffic, which keeps
// the pod's source IP). Same authorization as the pod path. Answers upstream's shape
// `{token: {…IMDS JSON}, clientid}`, plus `auxiliaryTokens` (one IMDS-shaped token per
// auxiliaryTenantIDs entry) for service principals that have them.
import { isActivePod } from "../../core/index.ts";
import { NmiError } from "../errors.ts";
import { sendJson } from "../http/respond.ts";
import { checkHostTokenCaller, normaliseIp } from "../rules/pod-lookup.ts";
import { acquireAuxiliary } from "../tokens/msal-source.ts";
import { decideForPod, type Decision } from "./decide.ts";
import { imdsJson, resolveOrRefuse, sourceFor, tokenFor } from "./issue-token.ts";
import { asNmiError, type RequestScope } from "./runtime.ts";
import { tokenRequestOrFail } from "./token-query.ts";
import { waitWhileTransient } from "./wait.ts";

export async function handleHostToken(scope: RequestScope): Promise<void> {
  const { req, rt } = scope;
  const caller = checkHostTokenCaller(normaliseIp(req.socket.remoteAddress), req.headers.podns, req.headers.podname);
  if (!caller.ok) {
    scope.fail(new NmiError(caller.code, caller.reason));
    return;
  }
  scope.bind({ pod: caller.name, namespace: caller.namespace });
  const request = tokenRequestOrFail(scope);
  if (!request) return;
  const { resource, selector } = request;
  const decide = (): Decision => {
    if (!rt.store.synced()) return { kind: "refuse", transient: true, code: "PODID_NMI_NOT_READY", reason: "informers-not-synced" };
    const pod = rt.store.pod(caller.namespace, caller.name);
    if (!pod || !isActivePod(pod)) return { kind: "refuse", transient: true, code: "PODID_NMI_POD_NOT_FOUND", reason: "named-pod-not-on-node" };
    return decideForPod(pod, selector, rt.store, rt.config);
  };
  const decision = await waitWhileTransient(decide, {
    store: rt.store,
    clock: rt.clock,
    deadline: rt.clock.now() + rt.config.waitBudgetMs,
    pollIntervalMs: rt.config.pollIntervalMs,
    caller: scope,
  });
  if (decision.kind !== "allow") {
    if (decision.kind === "refuse") scope.fail(new NmiError(decision.code, decision.reason, decision.description));
    else scope.fail(new NmiError("PODID_NMI_INTERNAL", "unexpected-exception-decision"));
    return;
  }
  try {
    const identity = resolveOrRefuse(decision.identity);
    scope.bind({ identity: identity.name, clientId: identity.clientId });
    const { token, outcome } = await tokenFor(rt, identity, resource, scope);
    const now = rt.clock.now();
    const body: Record<string, unknown> = { token: imdsJson(token, resource, now, selector), clientid: identity.clientId };
    if (identity.type !== 0 && identity.auxiliaryTenantIds.length > 0) {
      const aux = await acquireAuxiliary(sourceFor(rt, identity), identity, resource, { deadline: now + rt.config.waitBudgetMs, signal: scope.signal });
      body.auxiliaryTokens = aux.map((t) => imdsJson(t, resource, now, undefined));
    }
    sendJson(scope.res, 200, body);
    scope.finish(200, "token", `host:${decision.reason}:cache-${outcome}`);
  } catch (err) {
    scope.fail(asNmiError(err, scope));
  }
}
