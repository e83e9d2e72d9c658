// The cluster status document behind GET /api/clusters/{cluster}/status: per host what the
// cluster wants (desired type-0 identities), what podid last verified on it, what is still to
// do, the last error and the orchestration's state. `live` adds a GET per host from ARM.
// The JSON is documented in functions/README.md; the CLI (cli/mic/status-client.ts) reads it.
import { resourceIdKey } from "../../core/index.ts";
import { desiredAssignments, desiredHostIdentities } from "./planner/index.ts";
import type { MicDeps } from "./deps.ts";
import { reconcileInstanceId } from "./orchestration/instance-id.ts";
import type { OrchestrationClient } from "./poke.ts";
import type { HostError, HostPendingSummary } from "./state/index.ts";

export interface HostStatus {
  hostId: string;
  hostKey: string;
  nodes: string[];
  generation: number;
  reconciledGeneration: number;
  upToDate: boolean;
  lastReconciledAt: string | null;
  lastError: HostError | null;
  /** Type-0 identities the host's pods need now. */
  desired: string[];
  /** Identities podid added (recorded before each PATCH, trimmed to what ARM shows after it). */
  podidAssigned: string[];
  /** Desired but not yet requested from ARM; with `live`, desired but not on the host now. */
  missing: string[];
  pending: HostPendingSummary | null;
  assignments: number;
  /** The host's orchestration; `customStatus.phase` is "coalescing", "converging", "patching" or "idle". */
  orchestration: { instanceId: string; runtimeStatus: string | null; customStatus?: unknown };
  /** `orchestration.runtimeStatus`, when known (the CLI reads it here). */
  runtimeStatus?: string;
  /**
   * The host's user-assigned identities: with `live`, as ARM reports them now; otherwise as the
   * last reconcile's verifying GET saw them. Absent when unknown.
   */
  actual?: string[];
  /** Where `actual` comes from. */
  actualSource?: "live" | "lastVerify";
  /** With `live`: why ARM could not be read (then `actual` is absent). */
  actualError?: string;
}

export interface ClusterStatus {
  cluster: string;
  at: string;
  summary: { hosts: number; upToDate: number; pending: number; failed: number; assignments: number };
  hosts: HostStatus[];
}

async function orchestration(client: OrchestrationClient | undefined, instanceId: string): Promise<HostStatus["orchestration"]> {
  if (!client) return { instanceId, runtimeStatus: null };
  try {
    const s = await client.getStatus(instanceId);
    return { instanceId, runtimeStatus: s?.runtimeStatus ?? null, ...(s?.customStatus != null ? { customStatus: s.customStatus } : {}) };
  } catch {
    return { instanceId, runtimeStatus: null }; // never started (404)
  }
}

export async function clusterStatus(
  deps: MicDeps, cluster: string, opts: { client?: OrchestrationClient; live?: boolean; now?: Date } = {},
): Promise<ClusterStatus | undefined> {
  const [records, state] = await Promise.all([deps.store.listHosts(cluster), deps.store.loadClusterState(cluster)]);
  if (records.length === 0 && state.pods.length === 0 && state.nodes.length === 0) return undefined;
  const { assignments } = desiredAssignments(state, deps.settings.mic);
  const desired = new Map(desiredHostIdentities(assignments, state.nodes).hosts.map((h) => [h.hostKey, h]));
  const keys = [...new Set([...records.map((r) => r.hostKey), ...desired.keys()])].sort();
  const hosts = await Promise.all(keys.map(async (hostKey): Promise<HostStatus> => {
    const r = records.find((x) => x.hostKey === hostKey);
    const d = desired.get(hostKey);
    const hostId = d?.hostId ?? r?.hostId ?? hostKey;
    const podidAssigned = r?.podidAssigned ?? [];
    const verified = new Set(podidAssigned.map(resourceIdKey));
    const wanted = d?.identityIds ?? [];
    const instanceId = reconcileInstanceId(cluster, hostKey);
    const status: HostStatus = {
      hostId, hostKey, nodes: d?.nodes ?? [],
      generation: r?.generation ?? 0, reconciledGeneration: r?.reconciledGeneration ?? 0,
      upToDate: (r?.reconciledGeneration ?? 0) >= (r?.generation ?? 0) && r?.lastError == null,
      lastReconciledAt: r?.lastReconciledAt ?? null, lastError: r?.lastError ?? null,
      desired: wanted, podidAssigned, missing: wanted.filter((id) => !verified.has(resourceIdKey(id))),
      pending: r?.pending ?? null, assignments: d?.assignments.length ?? 0,
      orchestration: await orchestration(opts.client, instanceId),
    };
    if (status.orchestration.runtimeStatus !== null) status.runtimeStatus = status.orchestration.runtimeStatus;
    const verifiedIds = r?.pending?.verified;
    if (verifiedIds !== undefined) Object.assign(status, { actual: verifiedIds, actualSource: "lastVerify" });
    if (opts.live) {
      try {
        const actual = Object.keys((await deps.arm.getIdentity(hostId)).userAssignedIdentities);
        const present = new Set(actual.map(resourceIdKey));
        Object.assign(status, { actual, actualSource: "live" });
        status.missing = wanted.filter((id) => !present.has(resourceIdKey(id)));
      } catch (e) {
        delete status.actual;
        delete status.actualSource;
        status.actualError = e instanceof Error ? e.message : String(e);
      }
    }
    return status;
  }));
  return {
    cluster, at: (opts.now ?? new Date()).toISOString(),
    summary: {
      hosts: hosts.length,
      upToDate: hosts.filter((h) => h.upToDate).length,
      pending: hosts.filter((h) => h.reconciledGeneration < h.generation).length,
      failed: hosts.filter((h) => h.lastError !== null).length,
      assignments: assignments.length,
    },
    hosts,
  };
}
