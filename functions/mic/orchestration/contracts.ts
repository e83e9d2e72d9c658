// What reconcileHost and its activities exchange. Everything is plain JSON and kept small
// (ids, counts, classified errors): activity results are stored in the orchestration history,
// so AzureAssignedIdentity objects never travel through it — the publish activity recomputes
// them from the state store.
import type { HostError, HostPendingSummary } from "../state/index.ts";
import type { IdentityFailure, IdentityPatch } from "../planner/index.ts";
import type { ArmFailure } from "../arm/errors.ts";
import type { HostIdentity, OperationPoll, OperationRef, StartedUpdate } from "../arm/types.ts";

export const ORCHESTRATION = "reconcileHost";
export const INPUTS_CHANGED_EVENT = "inputsChanged";

export const Activity = {
  HostGeneration: "micHostGeneration",
  LoadHost: "micLoadHost",
  GetHost: "micGetHost",
  RecordPodidAssigned: "micRecordPodidAssigned",
  StartUpdate: "micStartUpdate",
  PollOperation: "micPollOperation",
  PublishStatuses: "micPublishStatuses",
  MarkReconciled: "micMarkReconciled",
} as const;

export interface HostTarget {
  cluster: string;
  hostKey: string;
  hostId: string;
}

export interface ReconcileInput extends HostTarget {
  /** Executions so far (continueAsNew count), for logs and the status API. */
  execution?: number;
  /** Ids ARM refused for good in the previous execution of a burst (not retried at once). */
  failed?: IdentityFailure[];
  /** Generation the previous execution verified; if still current, this one skips ARM. */
  verifiedGeneration?: number;
}

export interface LoadHostResult {
  /** The host record's generation read BEFORE the cluster state (DESIGN §5 no lost update). */
  generation: number;
  hostId: string;
  /** Type-0 identity ids the host's pods need. */
  desired: string[];
  podidAssigned: string[];
  immutable: string[];
  allowedScopes: string[];
  nodeResourceGroups: string[];
}

export type ArmResult<T> = { ok: true; value: T } | { ok: false; failure: ArmFailure };

export type GetHostResult = ArmResult<HostIdentity>;
export interface StartUpdateInput { hostId: string; patch: IdentityPatch }
export type StartUpdateResult = ArmResult<StartedUpdate>;
export interface PollOperationInput { hostId: string; operation: OperationRef }
export type PollOperationResult = ArmResult<OperationPoll>;

export interface RecordPodidAssignedInput extends HostTarget { add: string[] }

export interface PublishStatusesInput extends HostTarget {
  generation: number;
  /** Ids on the host after the last GET; null when unknown (statuses stay Created). */
  actualAfter: string[] | null;
  failures: IdentityFailure[];
  hostFailure?: IdentityFailure;
}

export interface PublishStatusesResult {
  counts: { assigned: number; failed: number; created: number };
  applied: number;
  deleted: number;
}

export interface MarkReconciledInput extends HostTarget {
  generation: number;
  at: string;
  error: HostError | null;
  pending: HostPendingSummary | null;
  /** Ids on the host after the last GET (podidAssigned ∩ these is kept); null = unknown. */
  actualAfter: string[] | null;
}

export interface MarkReconciledResult {
  /** The host's generation now: greater than the input's means inputs changed meanwhile. */
  generation: number;
}
