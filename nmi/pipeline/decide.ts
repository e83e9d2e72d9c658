// One evaluation of "who is calling and what may it have", from the current state. Composes
// the pure rules; re-run by waitWhileTransient until it settles or the budget is spent.
import { POD_BINDING_LABEL, type Pod } from "../../core/index.ts";
import type { NmiConfig } from "../config.ts";
import type { NmiErrorCode } from "../errors.ts";
import { allowedIdentities } from "../rules/allowed-identities.ts";
import { exceptionFor } from "../rules/exception.ts";
import { lookupPod } from "../rules/pod-lookup.ts";
import { selectIdentity } from "../rules/select-identity.ts";
import type { IdSelector } from "../rules/token-request.ts";
import type { NmiStateView } from "../state/store.ts";
import type { AzureIdentity } from "../../core/index.ts";

export type Decision =
  | { kind: "allow"; transient: false; pod: Pod; identity: AzureIdentity; reason: string }
  | { kind: "except"; transient: false; pod: Pod; reason: string }
  | { kind: "refuse"; transient: boolean; pod?: Pod; code: NmiErrorCode; reason: string; description?: string };

/** Identities for a known pod (also used by /host/token/). */
export function decideForPod(pod: Pod, selector: IdSelector | undefined, state: NmiStateView, config: NmiConfig): Decision {
  const label = pod.metadata.labels?.[POD_BINDING_LABEL];
  const candidates = allowedIdentities({
    mode: config.mode,
    nodeName: config.nodeName,
    forceNamespaced: config.forceNamespaced,
    pod,
    // Pre-filtered through the store's indexes; the rules re-check everything.
    assigned: state.assignedForPod(pod.metadata.namespace ?? "default", pod.metadata.name),
    bindings: label === undefined || label === "" ? [] : state.bindingsForSelector(label),
    identities: state.identityLookup(),
  });
  const s = selectIdentity(candidates, selector);
  if (s.kind === "allow") return { kind: "allow", transient: false, pod, identity: s.identity, reason: s.reason };
  const d: Decision = { kind: "refuse", transient: s.kind === "wait", pod, code: s.code, reason: s.reason };
  if (s.kind === "deny" && s.description !== undefined) d.description = s.description;
  return d;
}

/** Token path: caller IP → pod → exception? → identity. */
export function decideForCaller(ip: string, selector: IdSelector | undefined, state: NmiStateView, config: NmiConfig): Decision {
  const found = lookupPod({ ip, synced: state.synced(), pods: state.podsByIp(ip), hostNetworkIp: state.isHostNetworkIp(ip) });
  if (!found.ok) return { kind: "refuse", transient: found.transient, code: found.code, reason: found.reason };
  const pod = found.pod;
  const exception = exceptionFor(state.exceptions(pod.metadata.namespace ?? "default"), pod);
  if (exception.excepted) return { kind: "except", transient: false, pod, reason: exception.reason };
  return decideForPod(pod, selector, state, config);
}
