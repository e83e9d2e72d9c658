// Thin test layer over sandbox/system.ts: starts the whole system with the runner's PKI and
// short timings, and drives it like a user would — kubectl-style writes through
// @kubernetes/client-node, reads of ARM through the ARM peer's view, AAIs from the API server.
import { CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import type { V1Node, V1Pod } from "@kubernetes/client-node";
import { API_VERSION, CRD_GROUP, CRD_VERSION, PLURALS } from "../../core/index.ts";
import { identityResourceId } from "../../sandbox/peers/arm/index.ts";
import { testPki } from "../../sandbox/pki.ts";
import { startSystem } from "../../sandbox/system.ts";
import type { System, SystemOptions } from "../../sandbox/system.ts";

export interface TestSystem extends System {
  core: CoreV1Api;
  co: CustomObjectsApi;
  /** Resource id of a user-assigned identity registered in the ARM peer (once). */
  uai(name: string): string;
  /** Id of a scale set in the node resource group, registered in the ARM peer. */
  scaleSet(name: string, instances: string[]): string;
  node(name: string, scaleSetId: string, instance: string): Promise<void>;
  azureIdentity(name: string, resourceId: string, namespace?: string): Promise<void>;
  binding(name: string, identityName: string, selector: string, namespace?: string): Promise<void>;
  pod(name: string, nodeName: string, selector: string, namespace?: string): Promise<void>;
  deletePod(name: string, namespace?: string): Promise<void>;
  /** AzureAssignedIdentity `name` in `namespace`, if it exists. */
  assigned(name: string, namespace?: string): AssignedView | undefined;
  /** User-assigned identity ids on a host, lower-cased. */
  hostIdentities(hostId: string): string[];
}

export interface AssignedView {
  name: string;
  status: string | undefined;
  message: string | undefined;
  resourceVersion: string | undefined;
  nodename: string | undefined;
}

let uaiSeq = 0;

export async function startTestSystem(opts: Partial<SystemOptions> = {}): Promise<TestSystem> {
  const pki = testPki();
  const sys = await startSystem({
    tls: { cert: pki.cert, key: pki.key },
    cluster: "e2e",
    bookmarkIntervalMs: 500,
    ...opts,
    mic: { timerIntervalMs: 0, ...opts.mic },
  });
  const core = sys.kubeConfig.makeApiClient(CoreV1Api);
  const co = sys.kubeConfig.makeApiClient(CustomObjectsApi);
  const { subscriptionId, nodeResourceGroup, identityResourceGroup } = sys.azure;
  const uais = new Map<string, string>();
  const crd = (plural: string, namespace: string, body: object) =>
    co.createNamespacedCustomObject({ group: CRD_GROUP, version: CRD_VERSION, namespace, plural, body });

  return Object.assign(sys, {
    core, co,
    uai(name: string) {
      const existing = uais.get(name);
      if (existing) return existing;
      const id = identityResourceId(subscriptionId, identityResourceGroup, name);
      uaiSeq++;
      const hex = uaiSeq.toString(16).padStart(12, "0");
      sys.peers.arm.addIdentity({ resourceId: id, clientId: `00000000-0000-4000-8000-${hex}`, principalId: `11111111-0000-4000-8000-${hex}` });
      uais.set(name, id);
      return id;
    },
    scaleSet(name: string, instances: string[]) {
      return sys.peers.arm.addScaleSet({ subscriptionId, resourceGroup: nodeResourceGroup, name, location: "westeurope", instances });
    },
    async node(name: string, scaleSetId: string, instance: string) {
      const body: V1Node = { metadata: { name }, spec: { providerID: `azure://${scaleSetId}/virtualMachines/${instance}` } };
      await core.createNode({ body });
    },
    async azureIdentity(name: string, resourceId: string, namespace = "default") {
      const clientId = sys.peers.arm.identitiesOf(resourceId)[0]?.clientId ?? `client-${name}`;
      await crd(PLURALS.AzureIdentity, namespace, {
        apiVersion: API_VERSION, kind: "AzureIdentity", metadata: { name, namespace },
        spec: { type: 0, resourceID: resourceId, clientID: clientId },
      });
    },
    async binding(name: string, identityName: string, selector: string, namespace = "default") {
      await crd(PLURALS.AzureIdentityBinding, namespace, {
        apiVersion: API_VERSION, kind: "AzureIdentityBinding", metadata: { name, namespace },
        spec: { azureIdentity: identityName, selector },
      });
    },
    async pod(name: string, nodeName: string, selector: string, namespace = "default") {
      const body: V1Pod = {
        metadata: { name, namespace, labels: { aadpodidbinding: selector } },
        spec: { nodeName, containers: [{ name: "app", image: "app:1" }] },
        status: { phase: "Running" },
      };
      await core.createNamespacedPod({ namespace, body });
    },
    async deletePod(name: string, namespace = "default") {
      await core.deleteNamespacedPod({ name, namespace });
    },
    assigned(name: string, namespace = "default") {
      const o = sys.peers.kube.get(PLURALS.AzureAssignedIdentity, namespace, name) as
        { metadata: { name: string; resourceVersion?: string; labels?: Record<string, string> }; status?: { status?: string; message?: string } } | undefined;
      if (!o) return undefined;
      return { name: o.metadata.name, status: o.status?.status, message: o.status?.message, resourceVersion: o.metadata.resourceVersion, nodename: o.metadata.labels?.nodename };
    },
    hostIdentities(hostId: string) {
      return (sys.peers.arm.host(hostId)?.userAssignedIdentities ?? []).map((i) => i.toLowerCase());
    },
  });
}

/** Polls `cond` until true; the message names what never happened. */
export async function eventually(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Asserts `cond` stays true for `ms` (nothing changes behind our back). */
export async function stays(what: string, cond: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!cond()) throw new Error(`changed: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
