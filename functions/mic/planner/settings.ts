// Operator settings the planner needs. They come from app settings, never from messages:
// the scope guard must hold "whatever a message says" (DESIGN §5, §8).

export interface MicSettings {
  /** Treat every AzureIdentity as namespaced (aad-pod-identity's --forceNamespaced). */
  forceNamespaced: boolean;
  /**
   * Identities podid must never remove from a host: the configured list plus the cluster's
   * kubelet identity. Entries are resource IDs (compared case-insensitively) or client IDs
   * (GUIDs, matched against the `clientId` ARM reports for an identity on the host; upstream's
   * `--immutable-user-msis` took client IDs).
   */
  immutableIdentities: readonly string[];
  /**
   * Scopes (subscription, resource group or identity resource IDs) podid may assign identities
   * from. Empty means none: nothing is assigned until an operator opts in. `/` allows all.
   */
  allowedIdentityScopes: readonly string[];
  /** Scopes (normally the node resource group(s)) whose VMs/scale sets podid may modify. */
  nodeResourceGroups: readonly string[];
}

export const DEFAULT_SETTINGS: MicSettings = {
  forceNamespaced: false,
  immutableIdentities: [],
  allowedIdentityScopes: [],
  nodeResourceGroups: [],
};
