// ARM `identity.type` ↔ (system-assigned?, user-assigned?). ARM documents both
// "SystemAssigned, UserAssigned" and "SystemAssigned,UserAssigned"; we read any spelling/case
// and always write the spaced form.

export type ArmIdentityType = "None" | "SystemAssigned" | "UserAssigned" | "SystemAssigned, UserAssigned";

export interface IdentityTypeFlags {
  system: boolean;
  user: boolean;
}

export function parseIdentityType(type: string | null | undefined): IdentityTypeFlags {
  const parts = (type ?? "").toLowerCase().split(",").map((p) => p.trim());
  return { system: parts.includes("systemassigned"), user: parts.includes("userassigned") };
}

/**
 * The type to send: user identities need `UserAssigned` next to any system-assigned one
 * (sending user identities with plain `SystemAssigned` is a 400 InvalidParameter); with no user
 * identity left it is `SystemAssigned` if that exists, else `None`.
 */
export function composeIdentityType(system: boolean, hasUserIdentities: boolean): ArmIdentityType {
  if (hasUserIdentities) return system ? "SystemAssigned, UserAssigned" : "UserAssigned";
  return system ? "SystemAssigned" : "None";
}

export function sameIdentityType(a: string | null | undefined, b: string | null | undefined): boolean {
  const fa = parseIdentityType(a);
  const fb = parseIdentityType(b);
  return fa.system === fb.system && fa.user === fb.user;
}
