// Pure planning of mic-commands: given the desired AzureAssignedIdentity and what the API server
// holds now, the next single write. The executor runs one step, re-plans from the result, and
// re-reads on conflicts, so every step is computed from fresh state.
//
// Finalizer decision: podid does NOT add `azureassignedidentity.finalizers.aadpodidentity.k8s.io`.
// Upstream's MIC used it because its state lived in these objects; podid's MIC keeps its state
// in Azure Tables, and a finalizer would only make namespace deletion hang whenever the forwarder
// is down. Objects migrated from aad-pod-identity may still carry it, so `delete` strips it.
import {
  API_VERSION, ASSIGNED_IDENTITY_FINALIZER, DEFAULT_ASSIGNED_NAMESPACE, NODENAME_LABEL,
  type AzureAssignedIdentity,
} from "../core/index.ts";

export type PlanStep =
  | { kind: "create"; body: AzureAssignedIdentity }
  /** PUT of the whole object (spec, labels, finalizers) with its resourceVersion. */
  | { kind: "update"; body: AzureAssignedIdentity }
  /** PUT on the status subresource with the object's resourceVersion. */
  | { kind: "updateStatus"; body: AzureAssignedIdentity }
  | { kind: "delete" }
  /** Cannot make progress now (e.g. the object is terminating on someone else's finalizer). */
  | { kind: "wait"; reason: string }
  | { kind: "done" };

export function targetNamespace(aai: AzureAssignedIdentity): string {
  return aai.metadata.namespace ?? DEFAULT_ASSIGNED_NAMESPACE;
}

/** True when every value present in `want` is present and equal in `have` (server defaults are fine). */
export function isSubset(want: unknown, have: unknown): boolean {
  if (want === undefined) return true;
  if (Array.isArray(want)) {
    return Array.isArray(have) && have.length === want.length && want.every((w, i) => isSubset(w, have[i]));
  }
  if (typeof want === "object" && want !== null) {
    if (typeof have !== "object" || have === null || Array.isArray(have)) return false;
    const h = have as Record<string, unknown>;
    return Object.entries(want as Record<string, unknown>).every(([k, v]) => isSubset(v, h[k]));
  }
  return want === have;
}

function sameStatus(want: unknown, have: unknown): boolean {
  return isSubset(want, have) && isSubset(have, want);
}

function desiredLabels(desired: AzureAssignedIdentity, current?: AzureAssignedIdentity): Record<string, string> {
  // NMI selects assignments by `nodename=<node>`: the label always follows spec.nodename.
  return { ...current?.metadata.labels, ...desired.metadata.labels, [NODENAME_LABEL]: desired.spec.nodename };
}

function withoutOurFinalizer(finalizers: readonly string[] | undefined): string[] | undefined {
  if (!finalizers?.includes(ASSIGNED_IDENTITY_FINALIZER)) return undefined;
  return finalizers.filter((f) => f !== ASSIGNED_IDENTITY_FINALIZER);
}

function stripFinalizerStep(current: AzureAssignedIdentity, remaining: string[]): PlanStep {
  return { kind: "update", body: { ...current, metadata: { ...current.metadata, finalizers: remaining } } };
}

export function planApply(desired: AzureAssignedIdentity, current: AzureAssignedIdentity | undefined): PlanStep {
  if (current === undefined) {
    const metadata: AzureAssignedIdentity["metadata"] = {
      name: desired.metadata.name,
      namespace: targetNamespace(desired),
      labels: desiredLabels(desired),
    };
    if (desired.metadata.annotations) metadata.annotations = desired.metadata.annotations;
    // Status is left out: it is written through the status subresource, which ignores it here.
    return { kind: "create", body: { apiVersion: API_VERSION, kind: "AzureAssignedIdentity", metadata, spec: desired.spec } };
  }
  if (current.metadata.deletionTimestamp !== undefined) {
    // Latest state wins: let the old object go, then create the desired one.
    const remaining = withoutOurFinalizer(current.metadata.finalizers);
    if (remaining) return stripFinalizerStep(current, remaining);
    return { kind: "wait", reason: "object is being deleted and held by another finalizer" };
  }
  const labels = desiredLabels(desired, current);
  const metaOk = isSubset(labels, current.metadata.labels) && isSubset(desired.metadata.annotations, current.metadata.annotations);
  if (!metaOk || !isSubset(desired.spec, current.spec)) {
    const metadata = { ...current.metadata, labels };
    if (desired.metadata.annotations) metadata.annotations = { ...current.metadata.annotations, ...desired.metadata.annotations };
    return { kind: "update", body: { ...current, metadata, spec: { ...current.spec, ...desired.spec } } };
  }
  if (desired.status !== undefined && !sameStatus(desired.status, current.status ?? {})) {
    return { kind: "updateStatus", body: { ...current, status: desired.status } };
  }
  return { kind: "done" };
}

export function planDelete(current: AzureAssignedIdentity | undefined): PlanStep {
  if (current === undefined) return { kind: "done" };
  const remaining = withoutOurFinalizer(current.metadata.finalizers);
  if (remaining) return stripFinalizerStep(current, remaining);
  // Already terminating on other finalizers: the API server accepted the deletion.
  if (current.metadata.deletionTimestamp !== undefined) return { kind: "done" };
  return { kind: "delete" };
}
