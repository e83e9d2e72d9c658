// Deterministic AzureAssignedIdentity names make creates idempotent (same as aad-pod-identity).
import { BEHAVIOR_ANNOTATION, BEHAVIOR_NAMESPACED, DEFAULT_ASSIGNED_NAMESPACE } from "./constants.ts";
import type { AzureIdentity } from "./crds.ts";

export function assignedIdentityName(podName: string, podNamespace: string, identityName: string): string {
  return `${podName}-${podNamespace}-${identityName}`;
}

/** An identity is namespaced by the global setting or by its own annotation. */
export function isNamespacedIdentity(identity: Pick<AzureIdentity, "metadata">, forceNamespaced: boolean): boolean {
  if (forceNamespaced) return true;
  const value = identity.metadata.annotations?.[BEHAVIOR_ANNOTATION];
  return value !== undefined && value.toLowerCase() === BEHAVIOR_NAMESPACED;
}

/** Namespace where the AzureAssignedIdentity for this identity lives. */
export function assignedIdentityNamespace(identity: Pick<AzureIdentity, "metadata">, forceNamespaced: boolean): string {
  return isNamespacedIdentity(identity, forceNamespaced)
    ? (identity.metadata.namespace ?? DEFAULT_ASSIGNED_NAMESPACE)
    : DEFAULT_ASSIGNED_NAMESPACE;
}
