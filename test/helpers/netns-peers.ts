// Runs inside the node namespace (spawned with `ip netns exec`) next to a real `nmi/main.ts`
// process: the kube-apiserver peer on 127.0.0.1:<port 0> (its kubeconfig written to
// --kubeconfig for NMI's KUBECONFIG) and the IMDS peer on 169.254.169.254:80. Prints
// {"type":"ready",...}, then serves control ops on stdin (JSON lines); stdin closed → exit.
import { parseArgs } from "node:util";
import { startImdsPeer, type AssignedIdentity } from "../../sandbox/peers/imds/index.ts";
import { startKubePeer, writeKubeconfig, type KubeObject } from "../../sandbox/peers/kube/index.ts";
import { serveJsonLines } from "./json-lines-child.ts";
import { NETNS_NODE_NAME, NETNS_TENANT, type SeedSpec } from "./netns-node-nmi.ts";
import { assigned, binding, identity, pod } from "./nmi-fixtures.ts";

const HOST_ID = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/mc_rg/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-main";

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { kubeconfig: { type: "string" } } });
  const path = values.kubeconfig;
  if (path === undefined) throw new Error("--kubeconfig <path> is required");
  const kube = await startKubePeer();
  const hostIdentities: AssignedIdentity[] = [];
  const imds = await startImdsPeer({ host: HOST_ID, tenantId: NETNS_TENANT, assignments: () => hostIdentities, address: "169.254.169.254", port: 80 });
  writeKubeconfig(path, kube.url);
  const put = (resource: string, obj: object): void => void kube.put(resource, JSON.parse(JSON.stringify(obj)) as KubeObject);

  serveJsonLines({
    // Same shape as netns-node-nmi's seed, but NMI is another process: the test polls NMI.
    async seed(msg) {
      const spec = msg as unknown as SeedSpec;
      for (const i of spec.identities) {
        const id = identity(i.name, { clientID: i.clientID });
        put("azureidentities", id);
        put("azureidentitybindings", binding(`${i.name}-binding`, i.name, i.selector));
        hostIdentities.push({ clientId: i.clientID, resourceId: id.spec.resourceID ?? "", principalId: `oid-${i.name}` });
        for (const p of spec.pods.filter((x) => x.selector === i.selector)) {
          const po = pod(p.name, { ip: p.ip, label: p.selector, node: NETNS_NODE_NAME });
          put("pods", po);
          put("azureassignedidentities", assigned(po, id, { status: "Assigned" }));
        }
      }
      return { ok: true };
    },
    async stats() {
      return { imdsTokenRequests: imds.tokenRequests };
    },
  }, async () => {
    await Promise.all([kube.close(), imds.close()]);
    process.exit(0);
  });
  process.stdout.write(`${JSON.stringify({ type: "ready", kubeUrl: kube.url, imdsUrl: imds.url, nodeName: NETNS_NODE_NAME })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`netns-peers failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
