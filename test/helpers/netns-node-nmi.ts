// NMI mode of the netns node: kube-apiserver peer on 127.0.0.1:0, IMDS peer on
// 169.254.169.254:80 and the real NMI (buildNmi) on 127.0.0.1:0, all inside the node namespace
// (it has no route out). NMI's own IMDS calls go to 169.254.169.254 from this namespace, i.e.
// host-network traffic: if iptables caught them, NMI would call itself and never get a token.
import { pino } from "pino";
import { Registry } from "prom-client";
import { buildNmi, parseNmiConfig } from "../../nmi/index.ts";
import type { Kind } from "../../nmi/state/store.ts";
import { startImdsPeer, type AssignedIdentity } from "../../sandbox/peers/imds/index.ts";
import { kubeConfigFor, startKubePeer, type KubeObject } from "../../sandbox/peers/kube/index.ts";
import { assigned, binding, identity, pod } from "./nmi-fixtures.ts";
import type { NodeBackend } from "./netns-node.ts";

export const NETNS_NODE_NAME = "node-netns";
export const NETNS_TENANT = "11111111-2222-3333-4444-555555555555";
const HOST_ID = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/mc_rg/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-netns";

/** Control message `seed`: pods, identities and which pod each identity is assigned to. */
export interface SeedSpec {
  pods: { name: string; ip: string; selector: string }[];
  identities: { name: string; clientID: string; selector: string }[];
}

export async function nmiBackend(): Promise<NodeBackend> {
  const kube = await startKubePeer();
  const hostIdentities: AssignedIdentity[] = [];
  const imds = await startImdsPeer({ host: HOST_ID, tenantId: NETNS_TENANT, assignments: () => hostIdentities, address: "169.254.169.254", port: 80 });
  const config = parseNmiConfig({
    nodeName: NETNS_NODE_NAME, tokenAddress: "127.0.0.1", tokenPort: 0, probeAddress: "127.0.0.1", healthPort: 0, metricsPort: 0,
    imdsEndpoint: "http://169.254.169.254", waitBudgetMs: 1500, pollIntervalMs: 100, informerBackoffMs: 50, informerBackoffMaxMs: 500,
  });
  const logger = pino({ level: "warn" }, pino.destination(2));
  const nmi = buildNmi({ config, logger, registry: new Registry(), kubeConfig: kubeConfigFor(kube) });
  await nmi.start();

  async function apply(resource: string, kind: Kind, obj: object): Promise<void> {
    const stored = kube.put(resource, JSON.parse(JSON.stringify(obj)) as KubeObject);
    const rv = stored.metadata.resourceVersion;
    const end = Date.now() + 5000;
    while (nmi.state.objectVersion(kind, stored.metadata.namespace, stored.metadata.name) !== rv) {
      if (Date.now() > end) throw new Error(`NMI did not see ${resource}/${stored.metadata.name}@${rv ?? ""}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  return {
    nmiPort: nmi.addresses.token.port,
    ready: { kubeUrl: kube.url, imdsUrl: imds.url, nodeName: NETNS_NODE_NAME },
    ops: {
      async seed(msg) {
        const spec = msg as unknown as SeedSpec;
        for (const i of spec.identities) {
          const id = identity(i.name, { clientID: i.clientID });
          await apply("azureidentities", "identities", id);
          await apply("azureidentitybindings", "bindings", binding(`${i.name}-binding`, i.name, i.selector));
          hostIdentities.push({ clientId: i.clientID, resourceId: id.spec.resourceID ?? "", principalId: `oid-${i.name}` });
          for (const p of spec.pods.filter((x) => x.selector === i.selector)) {
            const po = pod(p.name, { ip: p.ip, label: p.selector, node: NETNS_NODE_NAME });
            await apply("pods", "pods", po);
            await apply("azureassignedidentities", "assigned", assigned(po, id, { status: "Assigned" }));
          }
        }
        return { pods: nmi.state.pods().length };
      },
      async stats() {
        return { imdsTokenRequests: imds.tokenRequests, tokensIssued: imds.tokensIssued() };
      },
    },
    async close() {
      await nmi.stop();
      await Promise.all([kube.close(), imds.close()]);
    },
  };
}
