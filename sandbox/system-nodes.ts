// The simulated cluster's machines: VM scale sets in the ARM peer (the node resource group)
// and one Kubernetes Node per instance, named and wired as AKS does (providerID → instance).
import type { ArmPeer } from "./peers/arm/index.ts";
import type { KubePeer } from "./peers/kube/index.ts";

export interface ScaleSetSpec {
  /** Scale set name, e.g. "aks-nodepool1-vmss"; node names are <name><instance as 6 digits>. */
  name: string;
  instances: string[];
}

export interface NodeSpec {
  name: string;
  /** 1-based, unique: pods on this node get 127.10.<index>.x addresses. */
  index: number;
  scaleSetId: string;
  instance: string;
  providerId: string;
}

/** Two VM scale sets, three nodes: enough to show per-host assignment and cross-host pods. */
export const DEFAULT_SCALE_SETS: ScaleSetSpec[] = [
  { name: "aks-nodepool1-vmss", instances: ["0", "1"] },
  { name: "aks-userpool-vmss", instances: ["0"] },
];

export function addNodes(o: {
  kube: KubePeer; arm: ArmPeer; scaleSets: ScaleSetSpec[];
  azure: { subscriptionId: string; nodeResourceGroup: string };
}): NodeSpec[] {
  const nodes: NodeSpec[] = [];
  for (const ss of o.scaleSets) {
    const scaleSetId = o.arm.addScaleSet({
      subscriptionId: o.azure.subscriptionId, resourceGroup: o.azure.nodeResourceGroup, name: ss.name, location: "westeurope", instances: ss.instances,
    });
    for (const instance of ss.instances) {
      const name = `${ss.name}${instance.padStart(6, "0")}`;
      const providerId = `azure://${scaleSetId}/virtualMachines/${instance}`;
      const index = nodes.length + 1;
      nodes.push({ name, index, scaleSetId, instance, providerId });
      o.kube.put("nodes", {
        apiVersion: "v1", kind: "Node",
        metadata: { name, labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", agentpool: ss.name.replace(/^aks-|-vmss$/g, "") } },
        spec: { providerID: providerId, podCIDR: `127.10.${index}.0/24` },
        status: {
          conditions: [{ type: "Ready", status: "True", reason: "KubeletReady" }],
          addresses: [{ type: "InternalIP", address: "127.0.0.1" }, { type: "Hostname", address: name }],
        },
      });
    }
  }
  return nodes;
}
