// Pokes a host's orchestration after its state was written (DESIGN §5: state first, then poke):
// raise `inputsChanged` on the instance under its deterministic id and, unless it is still
// live, start it. The durable client cannot say whether a raised event reached a live instance
// (410 Gone resolves silently, 404 rejects), so after raising we look at the instance. Raising
// first costs two calls per event of a burst (the instance is running), where starting first
// would cost three (a refused start, then raise and look). A start that still races a finishing
// instance is caught by the orchestration's grace period, and in the end by the resync timer.
import type { BumpedHost } from "./state/index.ts";
import { INPUTS_CHANGED_EVENT, ORCHESTRATION, type ReconcileInput } from "./orchestration/contracts.ts";
import { reconcileInstanceId } from "./orchestration/instance-id.ts";

/** The subset of durable-functions' DurableClient a poker uses. */
export interface OrchestrationClient {
  startNew(name: string, options: { instanceId: string; input: unknown }): Promise<string>;
  raiseEvent(instanceId: string, eventName: string, eventData: unknown): Promise<void>;
  getStatus(instanceId: string): Promise<{ runtimeStatus?: string; customStatus?: unknown } | undefined>;
}

export interface PokeOutcome {
  hostKey: string;
  instanceId: string;
  action: "started" | "signalled" | "failed";
  error?: string;
}

export type HostPoke = Pick<BumpedHost, "hostKey" | "hostId"> & { generation?: number };

const LIVE = new Set(["Running", "Pending", "ContinuedAsNew", "Suspended"]);
const ATTEMPTS = 3;

export async function pokeHost(client: OrchestrationClient, cluster: string, host: HostPoke): Promise<PokeOutcome> {
  const instanceId = reconcileInstanceId(cluster, host.hostKey);
  const input: ReconcileInput = { cluster, hostKey: host.hostKey, hostId: host.hostId };
  let last = "";
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      await client.raiseEvent(instanceId, INPUTS_CHANGED_EVENT, { generation: host.generation ?? null });
      const status = await client.getStatus(instanceId);
      if (status?.runtimeStatus !== undefined && LIVE.has(status.runtimeStatus)) {
        return { hostKey: host.hostKey, instanceId, action: "signalled" };
      }
    } catch (e) {
      last = e instanceof Error ? e.message : String(e); // usually: no such instance yet
    }
    try {
      await client.startNew(ORCHESTRATION, { instanceId, input });
      return { hostKey: host.hostKey, instanceId, action: "started" };
    } catch (e) {
      last = e instanceof Error ? e.message : String(e); // started by someone else meanwhile: raise again
    }
  }
  return { hostKey: host.hostKey, instanceId, action: "failed", error: last };
}

export async function pokeHosts(client: OrchestrationClient, cluster: string, hosts: readonly HostPoke[]): Promise<PokeOutcome[]> {
  return Promise.all(hosts.map((h) => pokeHost(client, cluster, h)));
}
