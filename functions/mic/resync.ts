// Level-triggered repair (DESIGN §5): the resync timer re-pokes every host whose reconciled
// generation lags (a poke that was lost) and, after a cool-down, hosts whose last reconcile
// failed (ARM refused, retries ran out) — never in a hot loop. The resync API forces a full
// pass: it bumps every host's generation, then pokes.
import { desiredAssignments, desiredHostIdentities, type HostRef } from "./planner/index.ts";
import type { MicDeps } from "./deps.ts";
import { pokeHosts, type OrchestrationClient, type PokeOutcome } from "./poke.ts";
import type { HostRecord } from "./state/index.ts";

export interface ResyncOutcome {
  cluster: string;
  hosts: number;
  poked: PokeOutcome[];
}

/** Why the timer pokes a host, or undefined to leave it alone. */
export function resyncReason(h: HostRecord, now: number, failedHostRetryMs: number): "lagging" | "failed" | undefined {
  if (h.reconciledGeneration < h.generation) return "lagging";
  if (h.lastError && now - Date.parse(h.lastError.at) >= failedHostRetryMs) return "failed";
  return undefined;
}

export async function resyncLagging(deps: MicDeps, client: OrchestrationClient, cluster: string, now: number, failedHostRetryMs: number): Promise<ResyncOutcome> {
  const hosts = await deps.store.listHosts(cluster);
  const due = hosts.filter((h) => resyncReason(h, now, failedHostRetryMs) !== undefined);
  const poked = await pokeHosts(client, cluster, due);
  return { cluster, hosts: hosts.length, poked };
}

export async function resyncAllClusters(deps: MicDeps, client: OrchestrationClient, now: number, failedHostRetryMs: number): Promise<ResyncOutcome[]> {
  const out: ResyncOutcome[] = [];
  for (const cluster of await deps.clusters.listClusters()) {
    out.push(await resyncLagging(deps, client, cluster, now, failedHostRetryMs));
  }
  return out;
}

/** Every host of the cluster: the recorded ones and those its current state needs. */
export async function knownHosts(deps: MicDeps, cluster: string): Promise<HostRef[]> {
  const [records, state] = await Promise.all([deps.store.listHosts(cluster), deps.store.loadClusterState(cluster)]);
  const { assignments } = desiredAssignments(state, deps.settings.mic);
  const refs = new Map<string, HostRef>(records.map((r) => [r.hostKey, { hostKey: r.hostKey, hostId: r.hostId }]));
  for (const h of desiredHostIdentities(assignments, state.nodes).hosts) refs.set(h.hostKey, { hostKey: h.hostKey, hostId: h.hostId });
  return [...refs.values()].sort((a, b) => (a.hostKey < b.hostKey ? -1 : 1));
}

export async function forceResync(deps: MicDeps, client: OrchestrationClient, cluster: string): Promise<ResyncOutcome> {
  const hosts = await knownHosts(deps, cluster);
  const bumped = await deps.store.bumpGenerations(cluster, hosts);
  const poked = await pokeHosts(client, cluster, bumped);
  return { cluster, hosts: hosts.length, poked };
}
