// ARM peer (Microsoft.Compute hosts and their user-assigned identities) for tests and the sandbox.
export { startArmPeer } from "./peer.ts";
export type { ArmPeer, HostSnapshot, StartArmPeerOptions } from "./peer.ts";
export type { RequestFilter, ScriptedArmError } from "./faults.ts";
export { hostResourceId, identityResourceId } from "./resource-ids.ts";
export type { ArmErrorDetail, ArmLogEntry, HostKind, HostSpec, IdentityRecord, ScaleSetSpec } from "./types.ts";
