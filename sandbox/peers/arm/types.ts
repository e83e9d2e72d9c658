// Shapes shared by the ARM peer's modules: the registry of identities and hosts, and the
// long-running operations that change a host's identities.

export type HostKind = "virtualMachineScaleSets" | "virtualMachines";

export interface IdentityRecord {
  resourceId: string;
  clientId: string;
  principalId: string;
}

/** A host's identity configuration; `userAssigned` maps lower-cased id → id as first sent. */
export interface IdentityState {
  systemAssigned: boolean;
  userAssigned: Map<string, string>;
}

export interface Host {
  /** Canonical resource id (case as created). */
  id: string;
  kind: HostKind;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  uniqueId: string;
  systemPrincipalId: string;
  identity: IdentityState;
  instances: string[];
  deleting: boolean;
  tags: Record<string, string>;
  pending: Operation | undefined;
}

export type OperationStatus = "InProgress" | "Succeeded" | "Failed" | "Canceled";

export interface ArmErrorDetail {
  code: string;
  message: string;
  target?: string;
}

export interface Operation {
  id: string;
  hostKey: string;
  location: string;
  subscriptionId: string;
  startTime: number;
  /** Completes this many ms after start; `undefined` = held until released by the test. */
  durationMs: number | undefined;
  target: IdentityState;
  targetTags: Record<string, string>;
  status: OperationStatus;
  endTime?: number;
  error?: ArmErrorDetail;
  /** Scripted outcome: the operation ends Failed with this error, changes not applied. */
  failWith?: ArmErrorDetail;
}

export interface HostSpec {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  systemAssigned?: boolean;
  /** Ids of identities already registered with `addIdentity`. */
  userAssignedIdentities?: string[];
  tags?: Record<string, string>;
}

export interface ScaleSetSpec extends HostSpec {
  /** VMSS instance ids ("0", "1", …). */
  instances?: string[];
}

/** One request as the peer saw it (for assertions). */
export interface ArmLogEntry {
  time: number;
  method: string;
  /** Path and query. */
  path: string;
  body: unknown;
  status: number;
}
