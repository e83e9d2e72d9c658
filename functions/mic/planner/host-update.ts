// One host's identity delta: what to add, what podid may remove, and the PATCH bodies.
// ARM PATCH merges `userAssignedIdentities`: `{}` adds a key, `null` removes it, omitted keys are
// untouched — so we only ever send the keys we mean to change, never the full list.
import { resourceIdKey } from "../../../core/index.ts";
import { ResourceIdSet } from "./id-set.ts";
import { composeIdentityType, parseIdentityType, type ArmIdentityType } from "./identity-type.ts";
import { checkHostScope, checkIdentityScope, type HostScopeReason, type IdentityScopeReason } from "./scope-guard.ts";

/** ARM rejects more than 150 user-assigned identities in one request (aad-pod-identity #637). */
export const MAX_IDENTITIES_PER_PATCH = 150;

/** What ARM reports per identity on GET; only `clientId` is used (immutable client IDs). */
export interface ArmUserIdentity {
  clientId?: string;
  principalId?: string;
}

export interface ActualHostIdentity {
  type?: string | null | undefined;
  /** Ids on the host: a list, or ARM's GET map as is. */
  userAssignedIdentities: readonly string[] | Readonly<Record<string, ArmUserIdentity | null | undefined>>;
}

export interface HostUpdateInput {
  hostId: string;
  /** Type-0 identity ids the host's pods need (`HostDesired.identityIds`). */
  desired: readonly string[];
  actual: ActualHostIdentity;
  /** Ids podid added to this host earlier (the host record's `podidAssigned`). */
  podidAssigned: readonly string[];
  /** Never removed: resource IDs or client IDs (settings.immutableIdentities + kubelet identity). */
  immutable: readonly string[];
  allowedScopes: readonly string[];
  nodeResourceGroups: readonly string[];
  /** Ids ARM refused for good earlier in this reconcile: neither added nor removed again. */
  failedPermanently?: readonly string[];
  maxEntriesPerPatch?: number;
}

export type EmptyObject = Record<string, never>;

export interface IdentityPatch {
  identity: { type: ArmIdentityType; userAssignedIdentities?: Record<string, EmptyObject | null> };
}

export type SkipReason = IdentityScopeReason | "failed-permanently" | "immutable";

export interface SkippedIdentity {
  id: string;
  reason: SkipReason | HostScopeReason;
  message: string;
}

export interface HostUpdatePlan {
  /** Set when the host itself may not be touched: no patches, every missing id skipped. */
  hostRejected?: { reason: HostScopeReason; message: string };
  /** Send in order; empty when nothing changes. */
  patches: IdentityPatch[];
  adds: string[];
  removes: string[];
  skipped: SkippedIdentity[];
  /** The identity type after all patches. */
  finalType: ArmIdentityType;
  /** Ids the host carries after all patches succeed (original spellings). */
  expectedAfter: string[];
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function actualIds(actual: ActualHostIdentity): { ids: ResourceIdSet; clientIds: Map<string, string> } {
  const ids = new ResourceIdSet();
  const clientIds = new Map<string, string>();
  const uai = actual.userAssignedIdentities;
  if (Array.isArray(uai)) {
    for (const id of uai as readonly string[]) ids.add(id);
  } else {
    for (const [id, value] of Object.entries(uai as Readonly<Record<string, ArmUserIdentity | null | undefined>>)) {
      ids.add(id);
      if (value?.clientId) clientIds.set(resourceIdKey(id), value.clientId.toLowerCase());
    }
  }
  return { ids, clientIds };
}

function immutableMatcher(immutable: readonly string[], clientIds: ReadonlyMap<string, string>): (id: string) => boolean {
  const ids = new ResourceIdSet(immutable.filter((i) => !GUID.test(i.trim())));
  const guids = new Set(immutable.map((i) => i.trim().toLowerCase()).filter((i) => GUID.test(i)));
  return (id) => ids.has(id) || guids.has(clientIds.get(resourceIdKey(id)) ?? "");
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function planHostUpdate(input: HostUpdateInput): HostUpdatePlan {
  const { ids: present, clientIds } = actualIds(input.actual);
  const flags = parseIdentityType(input.actual.type);
  const currentType = composeIdentityType(flags.system, present.size > 0);
  const desired = new ResourceIdSet(input.desired);
  const failed = new ResourceIdSet(input.failedPermanently ?? []);
  const skipped: SkippedIdentity[] = [];
  const unchanged = { patches: [], adds: [], removes: [], finalType: currentType, expectedAfter: present.values() };

  const host = checkHostScope(input.hostId, input.nodeResourceGroups);
  if (!host.ok) {
    for (const id of desired.values()) {
      if (!present.has(id)) skipped.push({ id, reason: host.reason, message: host.message });
    }
    return { ...unchanged, hostRejected: { reason: host.reason, message: host.message }, skipped };
  }

  const adds: string[] = [];
  for (const id of desired.values()) {
    if (present.has(id)) continue;
    if (failed.has(id)) {
      skipped.push({ id, reason: "failed-permanently", message: `ARM refused '${id}' earlier in this reconcile` });
      continue;
    }
    const scope = checkIdentityScope(id, input.allowedScopes);
    if (!scope.ok) {
      skipped.push({ id, reason: scope.reason, message: scope.message });
      continue;
    }
    adds.push(id);
  }

  const isImmutable = immutableMatcher(input.immutable, clientIds);
  const removes: string[] = [];
  for (const id of new ResourceIdSet(input.podidAssigned).values()) {
    const onHost = present.get(id);
    if (onHost === undefined || desired.has(id)) continue;
    if (isImmutable(onHost)) {
      skipped.push({ id: onHost, reason: "immutable", message: `'${onHost}' is immutable: never removed` });
    } else if (failed.has(onHost)) {
      skipped.push({ id: onHost, reason: "failed-permanently", message: `ARM refused removing '${onHost}' earlier in this reconcile` });
    } else {
      // No allow-list check here: the id is one podid itself added (the record is ours, not a
      // message's), and removing it only takes privilege away from the host — an identity
      // dropped from the allow-list must not stay on the nodes forever.
      removes.push(onHost);
    }
  }

  if (adds.length === 0 && removes.length === 0) return { ...unchanged, skipped };

  const after = new ResourceIdSet(present.values());
  for (const id of removes) after.delete(id);
  for (const id of adds) after.add(id);
  const finalType = composeIdentityType(flags.system, after.size > 0);
  const expectedAfter = after.values();

  if (after.size === 0) {
    // Nothing user-assigned remains (so there are no adds): one PATCH that only changes the
    // type drops them all — ARM rejects a map next to SystemAssigned/None, and a type change
    // carries no per-identity entries, so the 150 limit does not apply.
    return { patches: [{ identity: { type: finalType } }], adds, removes, skipped, finalType, expectedAfter };
  }
  // Adds first: if a later chunk fails the host carries extra identities, never missing ones.
  const entries: Array<[string, EmptyObject | null]> = [
    ...adds.map((id): [string, EmptyObject] => [id, {}]),
    ...removes.map((id): [string, null] => [id, null]),
  ];
  const size = Math.max(1, Math.min(input.maxEntriesPerPatch ?? MAX_IDENTITIES_PER_PATCH, MAX_IDENTITIES_PER_PATCH));
  const patches = chunk(entries, size).map((c): IdentityPatch => ({
    identity: { type: finalType, userAssignedIdentities: Object.fromEntries(c) },
  }));
  return { patches, adds, removes, skipped, finalType, expectedAfter };
}
