// Azure resource IDs: parse, validate, normalise, compare. ARM treats IDs case-insensitively,
// so every comparison goes through `resourceIdKey`.

export type ResourceKind = "userAssignedIdentity" | "virtualMachineScaleSet" | "virtualMachine" | "scaleSetVm";

export interface ResourceId {
  kind: ResourceKind;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  /** Only for a scale-set VM: the instance id. */
  instanceId?: string;
  /** Canonical spelling: `/subscriptions/…/resourceGroups/…/providers/<Namespace>/<type>/<name>`. */
  id: string;
}

export class ResourceIdError extends Error {
  override readonly name = "ResourceIdError";
}

const SEGMENT = "[^/\\s]+";
const PATTERNS: Array<{ kind: ResourceKind; re: RegExp; provider: string }> = [
  {
    kind: "userAssignedIdentity",
    provider: "Microsoft.ManagedIdentity/userAssignedIdentities",
    re: new RegExp(`^/subscriptions/(${SEGMENT})/resourceGroups/(${SEGMENT})/providers/Microsoft\\.ManagedIdentity/userAssignedIdentities/(${SEGMENT})$`, "i"),
  },
  {
    kind: "scaleSetVm",
    provider: "Microsoft.Compute/virtualMachineScaleSets",
    re: new RegExp(`^/subscriptions/(${SEGMENT})/resourceGroups/(${SEGMENT})/providers/Microsoft\\.Compute/virtualMachineScaleSets/(${SEGMENT})/virtualMachines/(${SEGMENT})$`, "i"),
  },
  {
    kind: "virtualMachineScaleSet",
    provider: "Microsoft.Compute/virtualMachineScaleSets",
    re: new RegExp(`^/subscriptions/(${SEGMENT})/resourceGroups/(${SEGMENT})/providers/Microsoft\\.Compute/virtualMachineScaleSets/(${SEGMENT})$`, "i"),
  },
  {
    kind: "virtualMachine",
    provider: "Microsoft.Compute/virtualMachines",
    re: new RegExp(`^/subscriptions/(${SEGMENT})/resourceGroups/(${SEGMENT})/providers/Microsoft\\.Compute/virtualMachines/(${SEGMENT})$`, "i"),
  },
];

function canonical(kind: ResourceKind, sub: string, rg: string, name: string): string {
  const pattern = PATTERNS.find((p) => p.kind === kind);
  if (!pattern) throw new ResourceIdError(`unknown resource kind ${kind}`);
  return `/subscriptions/${sub}/resourceGroups/${rg}/providers/${pattern.provider}/${name}`;
}

/** Parses a resource ID of one of the kinds podid handles; throws ResourceIdError otherwise. */
export function parseResourceId(raw: string): ResourceId {
  const trimmed = raw.trim().replace(/\/+$/, "");
  for (const { kind, re } of PATTERNS) {
    const m = re.exec(trimmed);
    if (!m) continue;
    const [, sub = "", rg = "", name = "", instanceId] = m;
    const parentKind = kind === "scaleSetVm" ? "virtualMachineScaleSet" : kind;
    const id = canonical(parentKind, sub, rg, name) + (instanceId === undefined ? "" : `/virtualMachines/${instanceId}`);
    return instanceId === undefined
      ? { kind, subscriptionId: sub, resourceGroup: rg, name, id }
      : { kind, subscriptionId: sub, resourceGroup: rg, name, instanceId, id };
  }
  throw new ResourceIdError(
    `'${raw}' is not a user-assigned identity, VM scale set or VM resource ID ` +
      "(expected /subscriptions/<sub>/resourceGroups/<rg>/providers/<Microsoft.ManagedIdentity/userAssignedIdentities|Microsoft.Compute/virtualMachineScaleSets|Microsoft.Compute/virtualMachines>/<name>)",
  );
}

export function tryParseResourceId(raw: string): ResourceId | undefined {
  try {
    return parseResourceId(raw);
  } catch {
    return undefined;
  }
}

export function isUserAssignedIdentityId(raw: string): boolean {
  return tryParseResourceId(raw)?.kind === "userAssignedIdentity";
}

/** Key for maps and sets: IDs that ARM considers equal have equal keys. */
export function resourceIdKey(raw: string): string {
  return raw.trim().replace(/\/+$/, "").toLowerCase();
}

export function sameResourceId(a: string, b: string): boolean {
  return resourceIdKey(a) === resourceIdKey(b);
}

/** True when `id` lies at or below `scope` (a subscription, resource group or resource ID). */
export function isWithinScope(id: string, scope: string): boolean {
  const key = resourceIdKey(id);
  const s = resourceIdKey(scope);
  return key === s || key.startsWith(`${s}/`);
}

/** Resource group scope (`/subscriptions/x/resourceGroups/y`) of a parsed ID. */
export function resourceGroupScope(id: ResourceId): string {
  return `/subscriptions/${id.subscriptionId}/resourceGroups/${id.resourceGroup}`;
}
