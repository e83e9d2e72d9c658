// The MIC planner: pure functions (no I/O, no clock) from cluster state to ARM deltas and
// AzureAssignedIdentity statuses. See functions/mic/README.md for the API and the protocol.
export * from "./settings.ts";
export * from "./cluster-state.ts";
export * from "./diagnostics.ts";
export * from "./id-set.ts";
export * from "./assigned-identity.ts";
export * from "./desired-assignments.ts";
export * from "./host-identities.ts";
export * from "./changed-hosts.ts";
export * from "./identity-type.ts";
export * from "./scope-guard.ts";
export * from "./host-update.ts";
export * from "./assignment-status.ts";
export * from "./podid-assigned.ts";
