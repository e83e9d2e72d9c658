// Publishes the AzureAssignedIdentity statuses of one host (DESIGN §5 step 4). The objects are
// rebuilt here from the state store rather than carried through the orchestration history, and
// only what changed since the last publish is sent (the store's published rows).
import { AssignedStatus, type AzureAssignedIdentity, type MicCommand } from "../../../core/index.ts";
import {
  assignmentKey, assignmentStatuses, desiredAssignments, desiredHostIdentities, type PublishedAssignment,
} from "../planner/index.ts";
import type { MicDeps } from "../deps.ts";
import type { PublishStatusesInput, PublishStatusesResult } from "../orchestration/contracts.ts";

function deleteCommand(cluster: string, p: PublishedAssignment): MicCommand {
  // The forwarder deletes by name; the spec is required by the schema only.
  const assignedIdentity: AzureAssignedIdentity = {
    apiVersion: "aadpodidentity.k8s.io/v1", kind: "AzureAssignedIdentity",
    metadata: { name: p.name, namespace: p.namespace },
    spec: { pod: "", podNamespace: "", nodename: "" },
  };
  return { v: 1, cluster, op: "delete", assignedIdentity };
}

export async function publishStatusesActivity(deps: MicDeps, input: PublishStatusesInput): Promise<PublishStatusesResult> {
  const { cluster, hostKey, generation } = input;
  const state = await deps.store.loadClusterState(cluster);
  const { assignments } = desiredAssignments(state, deps.settings.mic);
  const { assignmentHost } = desiredHostIdentities(assignments, state.nodes);
  const mine = assignments.filter((a) => assignmentHost[assignmentKey(a)] === hostKey);
  const elsewhere = Object.entries(assignmentHost).filter(([, h]) => h !== hostKey).map(([k]) => k);
  const published = await deps.store.listPublished(cluster, hostKey);
  const result = assignmentStatuses(mine, input.actualAfter, input.failures, {
    published, desiredElsewhere: elsewhere, ...(input.hostFailure ? { hostFailure: input.hostFailure } : {}),
  });

  const changed = new Set(result.toApply.map((a) => assignmentKey(a)));
  const applies = result.statuses.filter((s) => changed.has(s.key));
  await deps.publisher.publish({
    commands: applies.map((s): MicCommand => ({ v: 1, cluster, op: "apply", assignedIdentity: s.assignedIdentity })),
    epoch: generation,
  });
  await deps.store.recordPublished(cluster, applies.map((s): PublishedAssignment => {
    const meta = s.assignedIdentity.metadata;
    const row = { key: s.key, namespace: meta.namespace ?? "default", name: meta.name, hostKey, status: s.status, fingerprint: s.fingerprint };
    return s.message === undefined ? row : { ...row, message: s.message };
  }));

  // Rows are removed conditionally (another host may own the key now): delete only those.
  const removedKeys = new Set(await deps.store.removePublished(cluster, hostKey, result.toDelete.map((p) => p.key)));
  const removed = result.toDelete.filter((p) => removedKeys.has(p.key));
  try {
    await deps.publisher.publish({ commands: removed.map((p) => deleteCommand(cluster, p)), epoch: generation });
  } catch (e) {
    // Put the rows back so the retried activity sends the deletes again.
    await deps.store.recordPublished(cluster, removed);
    throw e;
  }
  if (applies.length > 0 || removed.length > 0) {
    deps.logger.info({
      cluster, hostKey, applied: applies.length, deleted: removed.length,
      failed: applies.filter((s) => s.status === AssignedStatus.Failed).map((s) => s.key),
    }, "mic: assignment statuses published");
  }
  return { counts: result.counts, applied: applies.length, deleted: removed.length };
}
