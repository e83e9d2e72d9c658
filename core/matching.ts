// Which bindings and exceptions apply to a pod. Every predicate returns a reason, so callers
// (MIC planner, NMI, `podid diagnose`) can log and explain the decision, not just act on it.
import { POD_BINDING_LABEL } from "./constants.ts";
import type { AzureIdentity, AzureIdentityBinding, AzurePodIdentityException } from "./crds.ts";
import { isNamespacedIdentity } from "./naming.ts";
import type { Pod } from "./pod.ts";

export type Match<R extends string> = { ok: true; reason: R } | { ok: false; reason: R };

export type SelectorReason = "selector-matches" | "pod-not-labelled" | "binding-has-no-selector" | "selector-differs";

/** Binding selector ↔ pod label `aadpodidbinding`: exact, case-sensitive string equality. */
export function bindingSelectsPod(binding: AzureIdentityBinding, pod: Pod): Match<SelectorReason> {
  const label = pod.metadata.labels?.[POD_BINDING_LABEL];
  if (label === undefined || label === "") return { ok: false, reason: "pod-not-labelled" };
  if (binding.spec.selector === "") return { ok: false, reason: "binding-has-no-selector" };
  return binding.spec.selector === label
    ? { ok: true, reason: "selector-matches" }
    : { ok: false, reason: "selector-differs" };
}

export type NamespaceReason = "not-namespaced" | "same-namespace" | "binding-in-other-namespace" | "pod-in-other-namespace";

/** Namespaced identities serve only pods and bindings of their own namespace. */
export function namespaceAllows(
  identity: AzureIdentity,
  binding: AzureIdentityBinding,
  pod: Pod,
  forceNamespaced: boolean,
): Match<NamespaceReason> {
  if (!isNamespacedIdentity(identity, forceNamespaced)) return { ok: true, reason: "not-namespaced" };
  const ns = identity.metadata.namespace;
  if (binding.metadata.namespace !== ns) return { ok: false, reason: "binding-in-other-namespace" };
  if (pod.metadata.namespace !== ns) return { ok: false, reason: "pod-in-other-namespace" };
  return { ok: true, reason: "same-namespace" };
}

export type ExceptionReason = "label-matches" | "other-namespace" | "no-label-matches";

/**
 * An exception in the pod's namespace applies when any of its podLabels is on the pod; values
 * compare case-insensitively (as upstream NMI does).
 */
export function exceptionAppliesToPod(exception: AzurePodIdentityException, pod: Pod): Match<ExceptionReason> {
  if ((exception.metadata.namespace ?? "default") !== (pod.metadata.namespace ?? "default")) {
    return { ok: false, reason: "other-namespace" };
  }
  const labels = pod.metadata.labels ?? {};
  for (const [key, value] of Object.entries(exception.spec.podLabels)) {
    const podValue = labels[key];
    if (podValue !== undefined && podValue.toLowerCase() === value.toLowerCase()) {
      return { ok: true, reason: "label-matches" };
    }
  }
  return { ok: false, reason: "no-label-matches" };
}

export function isExceptedPod(exceptions: readonly AzurePodIdentityException[], pod: Pod): boolean {
  return exceptions.some((e) => exceptionAppliesToPod(e, pod).ok);
}

export interface PodIdentityMatch {
  binding: AzureIdentityBinding;
  identity: AzureIdentity;
}

export interface IdentityLookup {
  /** Finds an AzureIdentity by namespace and name. */
  identity(namespace: string, name: string): AzureIdentity | undefined;
}

export type Rejection = {
  binding: AzureIdentityBinding;
  reason: SelectorReason | NamespaceReason | "identity-not-found";
};

/**
 * All (binding, identity) pairs that apply to a pod, sorted by binding namespace/name so the
 * first match is stable (upstream: first wins on a name collision). Rejected bindings whose
 * selector matched are returned too, for diagnosis.
 */
export function identitiesForPod(
  pod: Pod,
  bindings: readonly AzureIdentityBinding[],
  lookup: IdentityLookup,
  forceNamespaced: boolean,
): { matches: PodIdentityMatch[]; rejected: Rejection[] } {
  const matches: PodIdentityMatch[] = [];
  const rejected: Rejection[] = [];
  const sorted = [...bindings].sort((a, b) =>
    `${a.metadata.namespace ?? ""}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace ?? ""}/${b.metadata.name}`),
  );
  for (const binding of sorted) {
    const sel = bindingSelectsPod(binding, pod);
    if (!sel.ok) continue;
    const identity = lookup.identity(binding.metadata.namespace ?? "default", binding.spec.azureIdentity);
    if (!identity) {
      rejected.push({ binding, reason: "identity-not-found" });
      continue;
    }
    const ns = namespaceAllows(identity, binding, pod, forceNamespaced);
    if (!ns.ok) {
      rejected.push({ binding, reason: ns.reason });
      continue;
    }
    matches.push({ binding, identity });
  }
  return { matches, rejected };
}
