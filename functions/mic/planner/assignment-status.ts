// After the verify GET: the status each desired AAI of a host should carry, what must be
// (re)published, and which previously published AAIs of this host to delete.
//   type 1/2 → Assigned (no host change needed: NMI uses MSAL);
//   type 0   → Assigned if its identity is on the host, else Failed if ARM refused it for good
//              (per identity, or the whole host), else Created (still pending).
// An identity that is present counts as Assigned even if the plan skipped it: status reports what
// the host carries, and NMI can serve it.
import { AssignedStatus, contentHash, resourceIdKey, type AzureAssignedIdentity } from "../../../core/index.ts";
import { assignmentKey, assignmentResourceId } from "./assigned-identity.ts";

export type PublishedStatus = typeof AssignedStatus.Assigned | typeof AssignedStatus.Failed | typeof AssignedStatus.Created;

export interface IdentityFailure {
  id: string;
  /** Stable code, e.g. an ARM error code or a planner skip reason. */
  reason: string;
  message?: string;
}

/** What podid last published for an AAI (kept by the state store, one row per AAI). */
export interface PublishedAssignment {
  key: string;
  namespace: string;
  name: string;
  hostKey: string;
  status: string;
  message?: string;
  /** `assignmentFingerprint` of the published object (metadata + spec). */
  fingerprint: string;
}

export interface AssignmentStatus {
  key: string;
  status: PublishedStatus;
  message?: string;
  /** The AAI with `status` filled in, ready for a mic-commands `apply`. */
  assignedIdentity: AzureAssignedIdentity;
  fingerprint: string;
}

export interface AssignmentStatusOptions {
  /** Host-level permanent failure (host deleted, AuthorizationFailed, rejected by the scope guard). */
  hostFailure?: IdentityFailure;
  /** AAIs previously published for this host (the store's published rows for its hostKey). */
  published?: readonly PublishedAssignment[];
  /** AAI keys desired on other hosts: never deleted from here (a pod re-created on another host). */
  desiredElsewhere?: Iterable<string>;
}

export interface AssignmentStatusResult {
  /** One per desired AAI, in input order. */
  statuses: AssignmentStatus[];
  /** AAIs whose status, message or content differs from what was published. */
  toApply: AzureAssignedIdentity[];
  /** Published AAIs of this host that are no longer desired anywhere. */
  toDelete: PublishedAssignment[];
  counts: { assigned: number; failed: number; created: number };
}

export function assignmentFingerprint(aai: AzureAssignedIdentity): string {
  return contentHash({ metadata: aai.metadata, spec: aai.spec });
}

function failureMessage(f: IdentityFailure): string {
  return f.message ? `${f.reason}: ${f.message}` : f.reason;
}

export function assignmentStatuses(
  desired: readonly AzureAssignedIdentity[],
  actualAfter: readonly string[] | null,
  failures: readonly IdentityFailure[],
  options: AssignmentStatusOptions = {},
): AssignmentStatusResult {
  const present = new Set((actualAfter ?? []).map(resourceIdKey));
  const failedById = new Map<string, IdentityFailure>();
  for (const f of failures) if (!failedById.has(resourceIdKey(f.id))) failedById.set(resourceIdKey(f.id), f);
  const published = new Map((options.published ?? []).map((p) => [p.key, p]));
  const counts = { assigned: 0, failed: 0, created: 0 };

  const statuses = desired.map((aai): AssignmentStatus => {
    const id = assignmentResourceId(aai);
    let status: PublishedStatus = AssignedStatus.Assigned;
    let message: string | undefined;
    if (id !== undefined && !present.has(resourceIdKey(id))) {
      const failure = failedById.get(resourceIdKey(id)) ?? options.hostFailure;
      if (failure) {
        status = AssignedStatus.Failed;
        message = failureMessage(failure);
      } else {
        status = AssignedStatus.Created;
      }
    }
    counts[status === AssignedStatus.Assigned ? "assigned" : status === AssignedStatus.Failed ? "failed" : "created"] += 1;
    const { status: _old, ...rest } = aai;
    const assignedIdentity: AzureAssignedIdentity = { ...rest, status: message === undefined ? { status } : { status, message } };
    const base = { key: assignmentKey(aai), status, assignedIdentity, fingerprint: assignmentFingerprint(aai) };
    return message === undefined ? base : { ...base, message };
  });

  const toApply = statuses
    .filter((s) => {
      const p = published.get(s.key);
      return !p || p.status !== s.status || (p.message ?? "") !== (s.message ?? "") || p.fingerprint !== s.fingerprint;
    })
    .map((s) => s.assignedIdentity);
  const keep = new Set([...statuses.map((s) => s.key), ...(options.desiredElsewhere ?? [])]);
  const toDelete = [...published.values()].filter((p) => !keep.has(p.key)).sort((a, b) => (a.key < b.key ? -1 : 1));
  return { statuses, toApply, toDelete, counts };
}
