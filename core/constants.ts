// Names shared with aad-pod-identity v1 so existing objects, labels and alerts keep working.
export const CRD_GROUP = "aadpodidentity.k8s.io";
export const CRD_VERSION = "v1";
export const API_VERSION = `${CRD_GROUP}/${CRD_VERSION}`;

export const PLURALS = {
  AzureIdentity: "azureidentities",
  AzureIdentityBinding: "azureidentitybindings",
  AzureAssignedIdentity: "azureassignedidentities",
  AzurePodIdentityException: "azurepodidentityexceptions",
} as const;

/** Pod label that opts a pod in; its value must equal a binding's `selector`. */
export const POD_BINDING_LABEL = "aadpodidbinding";
/** Label on every AzureAssignedIdentity naming the node of its pod. */
export const NODENAME_LABEL = "nodename";
/** Annotation on an AzureIdentity that restricts it to its own namespace. */
export const BEHAVIOR_ANNOTATION = "aadpodidentity.k8s.io/Behavior";
export const BEHAVIOR_NAMESPACED = "namespaced";
export const ASSIGNED_IDENTITY_FINALIZER = "azureassignedidentity.finalizers.aadpodidentity.k8s.io";
/** Namespace of AzureAssignedIdentities of non-namespaced identities (upstream behaviour). */
export const DEFAULT_ASSIGNED_NAMESPACE = "default";
