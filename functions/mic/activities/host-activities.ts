// Store activities of reconcileHost: read the host's generation (alone, or with its desired
// identities), record podid's adds before a PATCH (write-ahead), and record the finished reconcile.
import { desiredAssignments, desiredHostIdentities, podidAssignedAfterVerify } from "../planner/index.ts";
import type { MicDeps } from "../deps.ts";
import type {
  HostTarget, LoadHostResult, MarkReconciledInput, MarkReconciledResult, RecordPodidAssignedInput,
} from "../orchestration/contracts.ts";

export async function loadHostActivity(deps: MicDeps, t: HostTarget): Promise<LoadHostResult> {
  const { mic } = deps.settings;
  // Generation first, state second: a change ingested in between bumps past what we read.
  const record = await deps.store.getHostRecord(t.cluster, t.hostKey);
  const state = await deps.store.loadClusterState(t.cluster);
  const { assignments } = desiredAssignments(state, mic);
  const host = desiredHostIdentities(assignments, state.nodes).hosts.find((h) => h.hostKey === t.hostKey);
  return {
    generation: record?.generation ?? 0,
    hostId: host?.hostId ?? record?.hostId ?? t.hostId,
    desired: host?.identityIds ?? [],
    podidAssigned: record?.podidAssigned ?? [],
    immutable: [...mic.immutableIdentities],
    allowedScopes: [...mic.allowedIdentityScopes],
    nodeResourceGroups: [...mic.nodeResourceGroups],
  };
}

/** The host's generation only (the coalescing window polls it; cheaper than loadHost). */
export async function hostGenerationActivity(deps: MicDeps, t: HostTarget): Promise<number> {
  return (await deps.store.getHostRecord(t.cluster, t.hostKey))?.generation ?? 0;
}

export async function recordPodidAssignedActivity(deps: MicDeps, input: RecordPodidAssignedInput): Promise<number> {
  const record = await deps.store.recordPodidAssigned(input.cluster, { hostKey: input.hostKey, hostId: input.hostId }, { add: input.add });
  return record.podidAssigned.length;
}

export async function markReconciledActivity(deps: MicDeps, input: MarkReconciledInput): Promise<MarkReconciledResult> {
  const ref = { hostKey: input.hostKey, hostId: input.hostId };
  const before = await deps.store.getHostRecord(input.cluster, input.hostKey);
  const podidAssigned = input.actualAfter === null ? undefined : podidAssignedAfterVerify(before?.podidAssigned ?? [], input.actualAfter);
  const { record } = await deps.store.markReconciled(input.cluster, ref, input.generation, {
    at: input.at, error: input.error, pending: input.pending, ...(podidAssigned !== undefined ? { podidAssigned } : {}),
  });
  deps.logger.info({ cluster: input.cluster, hostId: input.hostId, generation: input.generation, current: record.generation, error: input.error?.code }, "mic: host reconciled");
  return { generation: record.generation };
}
