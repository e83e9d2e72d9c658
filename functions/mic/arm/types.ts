// The ARM port of the MIC: read a host's identities, start an identity update, poll its
// long-running operation. Each call is one short HTTP exchange, so an activity never waits a
// VMSS update out (40-60 s in Azure); the orchestration waits between polls on durable timers.
// Methods throw what the SDK throws; errors.ts classifies it.
import type { IdentityPatch } from "../planner/index.ts";

export interface HostIdentity {
  /** ARM's `identity.type` as returned (null when the host has no identity block). */
  type: string | null;
  /** Id (as ARM spells it) → what ARM reports for it. */
  userAssignedIdentities: Record<string, { clientId?: string; principalId?: string }>;
  provisioningState?: string;
}

/** Where to poll a started update: the Azure-AsyncOperation status URL, else Location. */
export interface OperationRef {
  url: string;
  kind: "azure-asyncoperation" | "location";
}

export interface StartedUpdate {
  /** Null when ARM finished the update in the initial response (no LRO headers). */
  operation: OperationRef | null;
  retryAfterMs?: number;
}

export type OperationStatus = "running" | "succeeded" | "failed" | "canceled";

export interface OperationPoll {
  status: OperationStatus;
  retryAfterMs?: number;
  error?: { code?: string; message?: string };
}

export interface ArmHosts {
  getIdentity(hostId: string): Promise<HostIdentity>;
  startIdentityUpdate(hostId: string, patch: IdentityPatch): Promise<StartedUpdate>;
  pollOperation(hostId: string, operation: OperationRef): Promise<OperationPoll>;
}
