// The demo `npm start` seeds: three identities in the ARM peer with their AzureIdentity and
// AzureIdentityBinding, and five pods spread over the nodes. Two of them fail on purpose, so
// `podid diagnose` has something to explain:
//   batch-0    asks for selector "batch", which no binding has          → no-binding
//   reports-0  is bound to an identity ARM refuses to assign (the MIC's identity lacks
//              Managed Identity Operator on it: LinkedAuthorizationFailed) → assignment-failed
import { API_VERSION, PLURALS, POD_BINDING_LABEL } from "../core/index.ts";
import { identityResourceId } from "./peers/arm/index.ts";
import type { KubePeer } from "./peers/kube/index.ts";
import type { System } from "./system.ts";

export interface DemoPod { name: string; selector: string; node: string; expect: "token" | "no-binding" | "assignment-failed" }
export interface DemoIdentity { name: string; selector: string; clientId: string; resourceId: string; refused: boolean }

export interface Demo {
  namespace: string;
  identities: DemoIdentity[];
  pods: DemoPod[];
}

/** Stable client ids, so the README's outputs match every run. */
const IDS: Array<{ name: string; selector: string; hex: string; refused: boolean }> = [
  { name: "web-identity", selector: "web", hex: "0000000000a1", refused: false },
  { name: "api-identity", selector: "api", hex: "0000000000a2", refused: false },
  { name: "reports-identity", selector: "reports", hex: "0000000000a3", refused: true },
];

export function seedDemo(sys: System, namespace = "default"): Demo {
  const kube = sys.peers.kube;
  const { subscriptionId, identityResourceGroup } = sys.azure;
  const identities = IDS.map((i): DemoIdentity => ({
    name: i.name, selector: i.selector, refused: i.refused,
    clientId: `c1e47000-0000-4000-8000-${i.hex}`,
    resourceId: identityResourceId(subscriptionId, identityResourceGroup, i.name),
  }));
  for (const [n, i] of identities.entries()) {
    sys.peers.arm.addIdentity({ resourceId: i.resourceId, clientId: i.clientId, principalId: `0b1ec700-0000-4000-8000-${IDS[n]?.hex ?? ""}` });
    if (i.refused) sys.peers.arm.denyAssign(i.resourceId);
    put(kube, PLURALS.AzureIdentity, {
      apiVersion: API_VERSION, kind: "AzureIdentity", metadata: { name: i.name, namespace },
      spec: { type: 0, resourceID: i.resourceId, clientID: i.clientId },
    });
    put(kube, PLURALS.AzureIdentityBinding, {
      apiVersion: API_VERSION, kind: "AzureIdentityBinding", metadata: { name: `${i.selector}-binding`, namespace },
      spec: { azureIdentity: i.name, selector: i.selector },
    });
  }
  const node = (i: number): string => sys.nodes[i % Math.max(1, sys.nodes.length)]?.node.name ?? "";
  const pods: DemoPod[] = [
    { name: "web-0", selector: "web", node: node(0), expect: "token" },
    { name: "web-1", selector: "web", node: node(2), expect: "token" },
    { name: "api-0", selector: "api", node: node(1), expect: "token" },
    { name: "batch-0", selector: "batch", node: node(1), expect: "no-binding" },
    { name: "reports-0", selector: "reports", node: node(0), expect: "assignment-failed" },
  ];
  for (const p of pods) put(kube, "pods", podObject(p.name, namespace, p.selector, p.node));
  return { namespace, identities, pods };
}

export function podObject(name: string, namespace: string, selector: string, node?: string): object {
  return {
    apiVersion: "v1", kind: "Pod",
    metadata: { name, namespace, labels: { app: name.replace(/-\d+$/, ""), [POD_BINDING_LABEL]: selector } },
    spec: { ...(node ? { nodeName: node } : {}), containers: [{ name: "app", image: "mcr.microsoft.com/azure-cli:latest" }] },
    status: { phase: "Pending" },
  };
}

function put(kube: KubePeer, resource: string, obj: object): void {
  kube.put(resource, JSON.parse(JSON.stringify(obj)) as Parameters<KubePeer["put"]>[1]);
}
