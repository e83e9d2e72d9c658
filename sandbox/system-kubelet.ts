// The sandbox has no scheduler or kubelets, so this plays both for plain pods: a pod without a
// node is bound to the next node (round robin), and a pod on a sandbox node gets a loopback
// address of that node's range (127.10.<node>.x), phase Running and Ready. The distinct
// addresses are what lets NMI tell pods apart by source address, as it does by pod IP.
import type { KubeObject, KubePeer } from "./peers/kube/index.ts";
import type { NodeSpec } from "./system-nodes.ts";

interface PodShape {
  spec?: { nodeName?: string; hostNetwork?: boolean };
  status?: { podIP?: string; phase?: string };
}

export interface Kubelet {
  stop(): void;
}

export function startKubelet(o: { kube: KubePeer; nodes: NodeSpec[]; skipNamespaces?: string[]; intervalMs?: number }): Kubelet {
  const skip = new Set(o.skipNamespaces ?? ["podid-system"]);
  const byName = new Map(o.nodes.map((n) => [n.name, n]));
  let next = 0;
  const tick = (): void => {
    const pods = o.kube.list("pods");
    const used = new Set(pods.map((p) => (p as PodShape).status?.podIP).filter((ip): ip is string => ip !== undefined));
    for (const pod of pods) {
      if (skip.has(pod.metadata.namespace ?? "") || pod.metadata.deletionTimestamp !== undefined) continue;
      const shape = pod as KubeObject & PodShape;
      const spec = { ...(shape.spec ?? {}) };
      const status = { ...(shape.status ?? {}) };
      let changed = false;
      if (!spec.nodeName && o.nodes.length > 0) {
        spec.nodeName = o.nodes[next++ % o.nodes.length]?.name ?? "";
        changed = true;
      }
      const node = spec.nodeName ? byName.get(spec.nodeName) : undefined;
      if (node && !status.podIP && spec.hostNetwork !== true) {
        const ip = freeIp(node.index, used);
        if (ip) {
          used.add(ip);
          Object.assign(status, {
            podIP: ip, podIPs: [{ ip }], hostIP: "127.0.0.1", phase: "Running", startTime: new Date().toISOString(),
            conditions: [{ type: "Ready", status: "True" }, { type: "ContainersReady", status: "True" }],
          });
          changed = true;
        }
      }
      if (changed) o.kube.put("pods", { ...pod, spec, status });
    }
  };
  const timer = setInterval(tick, o.intervalMs ?? 100);
  tick();
  return { stop: () => clearInterval(timer) };
}

function freeIp(nodeIndex: number, used: Set<string>): string | undefined {
  for (let i = 2; i < 255; i++) {
    const ip = `127.10.${nodeIndex}.${i}`;
    if (!used.has(ip)) return ip;
  }
  return undefined;
}
