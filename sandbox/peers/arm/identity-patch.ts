// Pure identity semantics of a PATCH (merge) or PUT (replace) body: validates what ARM
// validates and computes the identity state the host will have once the operation completes.
import { z } from "zod";
import { armErrors, type ArmError } from "./errors.ts";
import { keyOf } from "./resource-ids.ts";
import type { IdentityState } from "./types.ts";

export const MAX_IDENTITIES_PER_REQUEST = 150;

export const identityBodySchema = z.object({
  type: z.string().optional(),
  userAssignedIdentities: z.record(z.string(), z.union([z.object({}).loose(), z.null()])).nullable().optional(),
}).loose();
export type IdentityBody = z.infer<typeof identityBodySchema>;

const UAI_ID = /^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.managedidentity\/userassignedidentities\/[^/]+$/i;

/** "SystemAssigned, UserAssigned" and "SystemAssigned,UserAssigned" are the same type. */
export function parseIdentityType(type: string): { system: boolean; user: boolean } | undefined {
  const parts = type.split(",").map((p) => p.trim().toLowerCase()).filter((p) => p !== "");
  if (parts.length === 1 && parts[0] === "none") return { system: false, user: false };
  const system = parts.includes("systemassigned");
  const user = parts.includes("userassigned");
  const known = parts.every((p) => p === "systemassigned" || p === "userassigned");
  if (!known || parts.length === 0 || parts.length !== new Set(parts).size) return undefined;
  return { system, user };
}

export function identityTypeOf(state: IdentityState): string {
  const user = state.userAssigned.size > 0;
  if (state.systemAssigned && user) return "SystemAssigned, UserAssigned";
  if (state.systemAssigned) return "SystemAssigned";
  return user ? "UserAssigned" : "None";
}

export const cloneIdentity = (s: IdentityState): IdentityState =>
  ({ systemAssigned: s.systemAssigned, userAssigned: new Map(s.userAssigned) });

export interface IdentityPlan {
  target: IdentityState;
  /** Ids (as sent) that the host does not carry yet: these need the assign permission. */
  added: string[];
}

export function planIdentity(current: IdentityState, body: IdentityBody, mode: "merge" | "replace"): IdentityPlan | ArmError {
  if (body.type === undefined) return armErrors.invalidIdentityType("(null)");
  const type = parseIdentityType(body.type);
  if (!type) return armErrors.invalidIdentityType(body.type);
  const entries = Object.entries(body.userAssignedIdentities ?? {});
  if (entries.length > MAX_IDENTITIES_PER_REQUEST) return armErrors.tooManyIdentities(entries.length);
  const seen = new Set<string>();
  for (const [id] of entries) {
    if (seen.has(keyOf(id))) return armErrors.duplicateIdentity(id);
    seen.add(keyOf(id));
    if (!UAI_ID.test(id)) return armErrors.invalidIdentityId(id);
  }
  if (!type.user && entries.some(([, v]) => v !== null)) return armErrors.idsWithoutUserAssignedType(body.type);
  const target = new Map(mode === "merge" && type.user ? current.userAssigned : []);
  const added: string[] = [];
  if (type.user) {
    for (const [id, value] of entries) {
      if (value === null) {
        target.delete(keyOf(id));
        continue;
      }
      if (!current.userAssigned.has(keyOf(id))) added.push(id);
      if (!target.has(keyOf(id))) target.set(keyOf(id), id);
    }
    if (target.size === 0) return armErrors.emptyUserAssigned();
  }
  return { target: { systemAssigned: type.system, userAssigned: target }, added };
}
