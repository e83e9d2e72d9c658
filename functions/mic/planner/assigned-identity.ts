// Building desired AzureAssignedIdentity objects and reading what the later steps need from
// them. The embedded refs are trimmed: NMI (standard mode) needs the identity's spec (type,
// clientID, resourceID, tenant, secret reference) and both objects' names/versions; labels,
// status and unrelated annotations would only make every AAI churn when they change.
import {
  API_VERSION, BEHAVIOR_ANNOTATION, NODENAME_LABEL, assignedIdentityName, assignedIdentityNamespace,
  type AzureAssignedIdentity, type AzureIdentity, type AzureIdentityBinding, type IdentityTypeValue, type ObjectMeta, type Pod,
} from "../../../core/index.ts";
import { objectKey } from "./cluster-state.ts";

function refMeta(meta: ObjectMeta, keepBehavior: boolean): ObjectMeta {
  const out: ObjectMeta = { name: meta.name };
  if (meta.namespace !== undefined) out.namespace = meta.namespace;
  if (meta.uid !== undefined) out.uid = meta.uid;
  if (meta.resourceVersion !== undefined) out.resourceVersion = meta.resourceVersion;
  const behavior = meta.annotations?.[BEHAVIOR_ANNOTATION];
  if (keepBehavior && behavior !== undefined) out.annotations = { [BEHAVIOR_ANNOTATION]: behavior };
  return out;
}

export function identityRef(identity: AzureIdentity): AzureIdentity {
  return { metadata: refMeta(identity.metadata, true), spec: identity.spec };
}

export function bindingRef(binding: AzureIdentityBinding): AzureIdentityBinding {
  return { metadata: refMeta(binding.metadata, false), spec: binding.spec };
}

/** The desired AAI for (pod, binding, identity); no status: that is decided after ARM answers. */
export function buildAssignedIdentity(
  pod: Pod,
  nodeName: string,
  binding: AzureIdentityBinding,
  identity: AzureIdentity,
  forceNamespaced: boolean,
): AzureAssignedIdentity {
  const podNamespace = pod.metadata.namespace ?? "default";
  return {
    apiVersion: API_VERSION,
    kind: "AzureAssignedIdentity",
    metadata: {
      name: assignedIdentityName(pod.metadata.name, podNamespace, identity.metadata.name),
      namespace: assignedIdentityNamespace(identity, forceNamespaced),
      labels: { [NODENAME_LABEL]: nodeName },
    },
    spec: {
      azureIdentityRef: identityRef(identity),
      azureBindingRef: bindingRef(binding),
      pod: pod.metadata.name,
      podNamespace,
      nodename: nodeName,
    },
  };
}

/** `namespace/name` of an AAI: unique per cluster, used as its key everywhere. */
export function assignmentKey(aai: Pick<AzureAssignedIdentity, "metadata">): string {
  return objectKey(aai.metadata);
}

export function assignmentIdentityType(aai: AzureAssignedIdentity): IdentityTypeValue {
  return aai.spec.azureIdentityRef?.spec.type ?? 0;
}

/** The user-assigned identity a type-0 AAI needs on its host; undefined for types 1 and 2. */
export function assignmentResourceId(aai: AzureAssignedIdentity): string | undefined {
  if (assignmentIdentityType(aai) !== 0) return undefined;
  const id = aai.spec.azureIdentityRef?.spec.resourceID;
  return id === undefined || id.trim() === "" ? undefined : id;
}
