// The MIC touches only hosts in the configured node resource group(s) and identities inside the
// configured allow-list, whatever a message says (DESIGN §5, §8). Both checks return a reason.
import { isWithinScope, tryParseResourceId } from "../../../core/index.ts";

export type IdentityScopeReason = "identity-resource-id-invalid" | "identity-outside-allowed-scopes";
export type HostScopeReason = "host-id-invalid" | "host-outside-node-resource-groups";

export type Guard<R extends string> = { ok: true } | { ok: false; reason: R; message: string };

export function checkIdentityScope(id: string, allowedScopes: readonly string[]): Guard<IdentityScopeReason> {
  if (tryParseResourceId(id)?.kind !== "userAssignedIdentity") {
    return { ok: false, reason: "identity-resource-id-invalid", message: `'${id}' is not a user-assigned identity resource ID` };
  }
  if (!allowedScopes.some((scope) => isWithinScope(id, scope))) {
    return {
      ok: false, reason: "identity-outside-allowed-scopes",
      message: allowedScopes.length === 0
        ? `no identity scopes are allowed (setting allowedIdentityScopes is empty); '${id}' is not assigned`
        : `'${id}' is outside the allowed identity scopes (${allowedScopes.join(", ")})`,
    };
  }
  return { ok: true };
}

export function checkHostScope(hostId: string, nodeResourceGroups: readonly string[]): Guard<HostScopeReason> {
  const kind = tryParseResourceId(hostId)?.kind;
  if (kind !== "virtualMachineScaleSet" && kind !== "virtualMachine") {
    return { ok: false, reason: "host-id-invalid", message: `'${hostId}' is neither a VM scale set nor a VM resource ID` };
  }
  if (!nodeResourceGroups.some((scope) => isWithinScope(hostId, scope))) {
    return {
      ok: false, reason: "host-outside-node-resource-groups",
      message: `host '${hostId}' is outside the configured node resource group(s) (${nodeResourceGroups.join(", ") || "none configured"})`,
    };
  }
  return { ok: true };
}
