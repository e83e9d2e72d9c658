// The system under test for the NMI burst: kube-apiserver peer, IMDS peer and a real NMI
// (buildNmi) on loopback, with N pods at 127.0.0.2.. all bound to one assigned identity.
import { Writable } from "node:stream";
import { pino } from "pino";
import { Registry } from "prom-client";
import { buildNmi, parseNmiConfig, type NmiHandle } from "../../nmi/index.ts";
import type { Kind } from "../../nmi/state/store.ts";
import { startImdsPeer, type ImdsPeer } from "../../sandbox/peers/imds/index.ts";
import { kubeConfigFor, startKubePeer, type KubeObject, type KubePeer } from "../../sandbox/peers/kube/index.ts";
import { assigned, binding, identity, pod } from "../../test/helpers/nmi-fixtures.ts";

const HOST_ID = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/mc_rg/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-bench";
const TENANT = "11111111-2222-3333-4444-555555555555";

export interface NmiNode {
  nmi: NmiHandle;
  imds: ImdsPeer;
  kube: KubePeer;
  podIps: string[];
  clientId: string;
  close(): Promise<void>;
}

export async function startNmiNode(o: { pods: number; imdsLatencyMs: number }): Promise<NmiNode> {
  if (o.pods < 1 || o.pods > 250) throw new Error("pods must be 1..250 (one 127.0.0.x address each)");
  const kube = await startKubePeer();
  const id = identity("id-bench", { clientID: "0b0b0b0b-0000-4000-8000-00000000bec0" });
  const clientId = id.spec.clientID ?? "";
  const imds = await startImdsPeer({
    host: HOST_ID, tenantId: TENANT, latencyMs: o.imdsLatencyMs,
    assignments: () => [{ clientId, resourceId: id.spec.resourceID ?? "", principalId: "oid-bench" }],
  });
  const config = parseNmiConfig({
    nodeName: "node-bench", tokenAddress: "127.0.0.1", tokenPort: 0, probeAddress: "127.0.0.1", healthPort: 0, metricsPort: 0,
    imdsEndpoint: imds.url,
  });
  // Production log level, serialised then discarded: the per-request log line is part of the cost.
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  const nmi = buildNmi({ config, logger: pino({ level: "info" }, sink), registry: new Registry(), kubeConfig: kubeConfigFor(kube) });
  await nmi.start();

  const apply = async (resource: string, kind: Kind, obj: object): Promise<void> => {
    const stored = kube.put(resource, JSON.parse(JSON.stringify(obj)) as KubeObject);
    const end = Date.now() + 10_000;
    while (nmi.state.objectVersion(kind, stored.metadata.namespace, stored.metadata.name) !== stored.metadata.resourceVersion) {
      if (Date.now() > end) throw new Error(`NMI did not see ${resource}/${stored.metadata.name}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  await apply("azureidentities", "identities", id);
  await apply("azureidentitybindings", "bindings", binding("bench-binding", "id-bench", "bench"));
  const podIps: string[] = [];
  for (let i = 0; i < o.pods; i++) {
    const ip = `127.0.0.${i + 2}`;
    const p = pod(`bench-${i}`, { ip, label: "bench", node: "node-bench" });
    await apply("pods", "pods", p);
    await apply("azureassignedidentities", "assigned", assigned(p, id, { status: "Assigned" }));
    podIps.push(ip);
  }
  return {
    nmi, imds, kube, podIps, clientId,
    async close() {
      await nmi.stop();
      await Promise.all([kube.close(), imds.close()]);
    },
  };
}
