// Which hosts an object event can affect, computed by planning the relevant slice of the
// cluster before and after the change (planner's changedHosts). Slices keep the per-event cost
// independent of cluster size for the frequent kinds:
//   Pod      → that pod + the nodes it was/is on + all identities and bindings;
//   Node     → that node + the pods on it + identities and bindings (nothing if providerID
//              is unchanged, which filters out status-only node updates);
//   identity/binding → the whole cluster (rare events);
//   exception → nothing (NMI-only).
import type { Node, Pod } from "../../../core/index.ts";
import { changedHosts, type ClusterState, type HostRef, type MicSettings } from "../planner/index.ts";
import type { RowBackend } from "./backend.ts";
import { objectPrefix, objectRowKey } from "./keys.ts";
import { clusterStateOf, objectFromRow, type KindedObject } from "./object-rows.ts";

async function liveObjects(backend: RowBackend, cluster: string, kind?: KindedObject["kind"], where: Record<string, string> = {}): Promise<KindedObject[]> {
  const rows = await backend.list(cluster, { prefix: objectPrefix(kind), where: { ...where, deleted: false } });
  return rows.map(objectFromRow).filter((o): o is KindedObject => o !== undefined);
}

export async function loadClusterState(backend: RowBackend, cluster: string): Promise<ClusterState> {
  return clusterStateOf(await liveObjects(backend, cluster));
}

async function identitiesAndBindings(backend: RowBackend, cluster: string): Promise<Pick<ClusterState, "identities" | "bindings">> {
  const [identities, bindings] = await Promise.all([
    liveObjects(backend, cluster, "AzureIdentity"),
    liveObjects(backend, cluster, "AzureIdentityBinding"),
  ]);
  const s = clusterStateOf([...identities, ...bindings]);
  return { identities: s.identities, bindings: s.bindings };
}

async function nodeNamed(backend: RowBackend, cluster: string, name: string | undefined): Promise<Node[]> {
  if (!name) return [];
  const row = await backend.get(cluster, objectRowKey("Node", undefined, name));
  const obj = row && objectFromRow(row);
  return obj?.kind === "Node" ? [obj.object] : [];
}

/**
 * Hosts whose desired state differs between `before` (the stored live object, if any) and
 * `after` (the incoming object, or undefined for a delete).
 */
export async function affectedHosts(
  backend: RowBackend, cluster: string, settings: Pick<MicSettings, "forceNamespaced">,
  before: KindedObject | undefined, after: KindedObject | undefined,
): Promise<HostRef[]> {
  const kind = (after ?? before)?.kind;
  switch (kind) {
    case undefined:
    case "AzurePodIdentityException":
      return [];
    case "Pod": {
      const pods = (o: KindedObject | undefined): Pod[] => (o?.kind === "Pod" ? [o.object] : []);
      const [bPod] = pods(before);
      const [aPod] = pods(after);
      const names = new Set([bPod?.spec.nodeName, aPod?.spec.nodeName]);
      const nodes = (await Promise.all([...names].map((n) => nodeNamed(backend, cluster, n)))).flat();
      const shared = { nodes, ...(await identitiesAndBindings(backend, cluster)) };
      return changedHosts({ ...shared, pods: pods(before) }, { ...shared, pods: pods(after) }, settings);
    }
    case "Node": {
      const nodes = (o: KindedObject | undefined): Node[] => (o?.kind === "Node" ? [o.object] : []);
      const [bNode] = nodes(before);
      const [aNode] = nodes(after);
      if (bNode && aNode && bNode.spec.providerID === aNode.spec.providerID) return [];
      const name = (bNode ?? aNode)?.metadata.name ?? "";
      const podObjects = await liveObjects(backend, cluster, "Pod", { nodeName: name });
      const shared = { pods: clusterStateOf(podObjects).pods, ...(await identitiesAndBindings(backend, cluster)) };
      return changedHosts({ ...shared, nodes: nodes(before) }, { ...shared, nodes: nodes(after) }, settings);
    }
    case "AzureIdentity":
    case "AzureIdentityBinding": {
      const all = await liveObjects(backend, cluster);
      const key = (o: KindedObject) => `${o.kind}|${o.object.metadata.namespace ?? ""}|${o.object.metadata.name}`;
      const target = key((after ?? before)!);
      const rest = all.filter((o) => key(o) !== target);
      return changedHosts(
        clusterStateOf(before ? [...rest, before] : rest),
        clusterStateOf(after ? [...rest, after] : rest),
        settings,
      );
    }
  }
}
