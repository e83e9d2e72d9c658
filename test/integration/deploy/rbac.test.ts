// RBAC from the rendered manifests is sufficient and minimal: the kube-apiserver peer enforces
// the Roles/ClusterRoles/bindings of `kubectl kustomize infra/default`, and the real forwarder and
// NMI, each with its ServiceAccount's token, do all their work against it (informers, leader
// election, applying, updating and deleting AzureAssignedIdentities, reading an SP Secret for a
// token) with no request refused; every rule they hold is used; requests outside them are refused.
import assert from "node:assert/strict";
import { request } from "node:http";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { ServiceBusSender } from "@azure/service-bus";
import { ApiException, CoordinationV1Api, CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { pino } from "pino";
import { Registry } from "prom-client";
import { COMMANDS_QUEUE, EVENTS_QUEUE, type MicCommand } from "../../../core/index.ts";
import { buildForwarder, type Forwarder } from "../../../forwarder/forwarder.ts";
import { buildNmi, parseNmiConfig, type NmiHandle } from "../../../nmi/index.ts";
import { startEntraPeer, type EntraPeer } from "../../../sandbox/peers/entra/index.ts";
import { kubeConfigFor, startKubePeer, type KubeObject, type KubePeer } from "../../../sandbox/peers/kube/index.ts";
import { startServiceBusPeer, type ServiceBusPeer } from "../../../sandbox/peers/servicebus/index.ts";
import { testPki } from "../../../sandbox/pki.ts";
import { REPO } from "../../helpers/deploy/config-names.ts";
import { kustomize, type K8sObject } from "../../helpers/deploy/kubectl.ts";
import { find, literalEnv, podSpecOf } from "../../helpers/deploy/pod-checks.ts";
import { auditingAuthorizer, RbacPolicy, serviceAccountUser, type AuditEntry } from "../../helpers/deploy/rbac.ts";
import { CLUSTER, EventReader, sbClient, testConfig } from "../../helpers/forwarder-harness.ts";
import { assigned, identity, pod } from "../../helpers/nmi-fixtures.ts";

const NS = "podid-system";
const FWD = serviceAccountUser(NS, "podid-forwarder");
const NMI = serviceAccountUser(NS, "podid-nmi");
const TENANT = "11111111-2222-3333-4444-555555555555";
const NODE = "node-a";
const POD_IP = "127.0.0.2";

let rendered: K8sObject[] = [];
const audit: AuditEntry[] = [];
let kube: KubePeer;
let bus: ServiceBusPeer;
let entra: EntraPeer;
let forwarder: Forwarder;
let nmi: NmiHandle;
let sender: ServiceBusSender;
let events: EventReader;
const closers: (() => Promise<unknown>)[] = [];

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) {
      const refused = audit.filter((e) => !e.allowed).map((e) => `${e.user} ${e.verb} ${e.resource} ${e.namespace}/${e.name}`);
      throw new Error(`timed out waiting for ${what}; refused requests: ${refused.length > 0 ? refused.join("; ") : "none"}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A GET from a given 127.0.0.x source address (NMI identifies the calling pod by it). */
function getFrom(url: string, localAddress: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers, localAddress, timeout: 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => { body += d; });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end();
  });
}

const json = <T>(o: T): KubeObject => JSON.parse(JSON.stringify(o)) as KubeObject;
const silent = () => pino({ level: "silent" });

before(async () => {
  rendered = await kustomize(join(REPO, "infra", "default"));
  const policy = new RbacPolicy(rendered);
  kube = await startKubePeer({
    bookmarkIntervalMs: 200,
    tokens: {
      "admin-token": { username: "admin", groups: ["system:masters"] },
      "forwarder-token": { username: FWD, groups: ["system:serviceaccounts", `system:serviceaccounts:${NS}`] },
      "nmi-token": { username: NMI, groups: ["system:serviceaccounts", `system:serviceaccounts:${NS}`] },
    },
    authorize: auditingAuthorizer(policy, audit),
  });
  closers.push(() => kube.close());
  kube.ensureNamespace(NS);
  kube.ensureNamespace("shop");
  kube.put("nodes", { apiVersion: "v1", kind: "Node", metadata: { name: NODE }, spec: { providerID: "azure:///subscriptions/s/resourceGroups/mc_rg/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-a/virtualMachines/0" } });

  bus = await startServiceBusPeer({ queues: [{ name: EVENTS_QUEUE, requiresSession: true, duplicateDetectionWindowMs: 600_000 }, { name: COMMANDS_QUEUE, requiresSession: true, maxDeliveryCount: 10 }] });
  closers.push(() => bus.close());
  const pki = testPki();
  entra = await startEntraPeer({ cert: pki.cert, key: pki.key });
  closers.push(() => entra.close());
  const testClient = sbClient(bus);
  closers.push(() => testClient.close());
  sender = testClient.createSender(COMMANDS_QUEUE);
  events = new EventReader(testClient);
  events.start();
  closers.push(() => events.stop());

  // The forwarder as the Deployment configures it (lease name and namespace from the manifest).
  const fwdEnv = literalEnv(podSpecOf(find(rendered, "Deployment", "podid-forwarder")).containers[0] ?? { name: "" }, { "metadata.name": "fwd-0", "metadata.namespace": NS });
  const fwdClient = sbClient(bus);
  forwarder = buildForwarder({
    config: testConfig("fwd-0", { leaseName: fwdEnv.PODID_LEASE_NAME ?? "", leaseNamespace: NS }),
    logger: silent(), registry: new Registry(), kubeConfig: kubeConfigFor(kube, "forwarder-token"), serviceBusClient: fwdClient,
  });
  closers.push(async () => { await forwarder.stop(); await fwdClient.close(); });
  await forwarder.start();

  nmi = buildNmi({
    config: parseNmiConfig({ nodeName: NODE, tokenAddress: "127.0.0.1", tokenPort: 0, probeAddress: "127.0.0.1", healthPort: 0, metricsPort: 0, imdsEndpoint: "http://127.0.0.1:9", waitBudgetMs: 3000, pollIntervalMs: 100, informerBackoffMs: 50, informerBackoffMaxMs: 200 }),
    logger: silent(), registry: new Registry(), kubeConfig: kubeConfigFor(kube, "nmi-token"),
  });
  closers.push(() => nmi.stop());
  await nmi.start();
});

after(async () => {
  await sender?.close();
  for (const c of closers.reverse()) await c().catch(() => undefined);
});

const sp = identity("sp", { type: 1, namespace: "shop", tenantID: TENANT, secret: "sp-creds", adEndpoint: "" });
const web = pod("web-0", { namespace: "shop", ip: POD_IP, node: NODE, label: "web" });
const other = pod("api-0", { namespace: "shop", ip: "127.0.0.3", node: NODE, label: "api" });

test("the forwarder and NMI do all their work with their ServiceAccounts' rights, and nothing is refused", async () => {
  entra.registerApp({ tenantId: TENANT, clientId: String(sp.spec.clientID), secret: "sp-secret" });
  const spWithEndpoint = { ...sp, spec: { ...sp.spec, adEndpoint: `${entra.url}/` } };
  kube.put("azureidentities", json(spWithEndpoint));
  kube.put("azureidentitybindings", { apiVersion: "aadpodidentity.k8s.io/v1", kind: "AzureIdentityBinding", metadata: { name: "sp-binding", namespace: "shop" }, spec: { azureIdentity: "sp", selector: "web" } });
  kube.put("azurepodidentityexceptions", { apiVersion: "aadpodidentity.k8s.io/v1", kind: "AzurePodIdentityException", metadata: { name: "ex", namespace: "shop" }, spec: { podLabels: { probe: "true" } } });
  kube.put("secrets", { apiVersion: "v1", kind: "Secret", metadata: { name: "sp-creds", namespace: "shop" }, type: "Opaque", data: { clientSecret: Buffer.from("sp-secret").toString("base64") } });
  kube.put("pods", json(web));
  kube.put("pods", json(other));
  // An assignment that already exists with stale content: the forwarder must update it.
  const stale = assigned(other, spWithEndpoint, { status: "Created" });
  kube.put("azureassignedidentities", json({ ...stale, metadata: { ...stale.metadata, labels: { nodename: "elsewhere" } } }));

  // Forwarder: leader (Lease created, renewed), informers synced, snapshot sent.
  await until("forwarder leads", () => forwarder.isLeader && forwarder.readiness().ready);
  await events.waitFor((b) => b.kind === "Snapshot", 10_000, "snapshot");
  await until("lease renewed", () => audit.some((e) => e.user === FWD && e.resource === "coordination.k8s.io/leases" && e.verb === "update"));

  // MIC → forwarder: create one assignment, update the stale one, then delete it.
  const send = (cmd: MicCommand) => sender.sendMessages({ body: cmd, sessionId: CLUSTER, contentType: "application/json" });
  const webAssigned = assigned(web, spWithEndpoint, { status: "Assigned" });
  await send({ v: 1, cluster: CLUSTER, op: "apply", assignedIdentity: webAssigned });
  await send({ v: 1, cluster: CLUSTER, op: "apply", assignedIdentity: assigned(other, spWithEndpoint, { status: "Assigned" }) });
  await until("assignments applied", () =>
    (kube.get("azureassignedidentities", "default", webAssigned.metadata.name)?.status as { status?: string } | undefined)?.status === "Assigned" &&
    kube.get("azureassignedidentities", "default", stale.metadata.name)?.metadata.labels?.nodename === NODE);
  await send({ v: 1, cluster: CLUSTER, op: "delete", assignedIdentity: assigned(other, spWithEndpoint) });
  await until("assignment deleted", () => kube.get("azureassignedidentities", "default", stale.metadata.name) === undefined);

  // NMI: serves web-0 a service-principal token (reads the Secret with its own rights).
  await until("NMI sees the assignment", () => nmi.state.assigned().some((a) => a.metadata.name === webAssigned.metadata.name && a.status?.status === "Assigned"));
  const r = await getFrom(`${nmi.tokenUrl}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/`, POD_IP, { Metadata: "true" });
  assert.equal(r.status, 200, r.body);

  const refused = audit.filter((e) => !e.allowed && (e.user === FWD || e.user === NMI));
  assert.deepEqual(refused, [], "no request of the forwarder or NMI was refused");
});

test("every rule the manifests grant is used by its component (minimal)", () => {
  const policy = new RbacPolicy(rendered);
  const unused: string[] = [];
  for (const user of [FWD, NMI]) {
    for (const g of policy.grants(user, [])) {
      for (const verb of g.rule.verbs) {
        for (const res of g.rule.resources ?? []) {
          const used = audit.some((e) => e.user === user && e.allowed && e.verb === verb &&
            e.resource === `${(g.rule.apiGroups ?? [])[0] || "core"}/${res}` && (g.namespace === undefined || e.namespace === g.namespace) &&
            (g.rule.resourceNames === undefined || g.rule.resourceNames.includes(e.name)));
          if (!used) unused.push(`${user}: ${verb} ${res} (${g.role})`);
        }
      }
    }
  }
  assert.deepEqual(unused, []);
});

test("requests outside the granted rules are refused with 403", async () => {
  const fwd = kubeConfigFor(kube, "forwarder-token");
  const nmiKc = kubeConfigFor(kube, "nmi-token");
  const status = async (fn: () => Promise<unknown>): Promise<number> => {
    try { await fn(); return 200; } catch (e) { if (e instanceof ApiException) return e.code; throw e; }
  };
  const fCore = fwd.makeApiClient(CoreV1Api);
  const nCore = nmiKc.makeApiClient(CoreV1Api);
  const nCustom = nmiKc.makeApiClient(CustomObjectsApi);
  assert.equal(await status(() => fCore.listSecretForAllNamespaces()), 403, "forwarder: list secrets");
  assert.equal(await status(() => fCore.readNamespacedSecret({ name: "sp-creds", namespace: "shop" })), 403, "forwarder: get a secret");
  assert.equal(await status(() => fCore.deleteNamespacedPod({ name: "web-0", namespace: "shop" })), 403, "forwarder: delete a pod");
  assert.equal(await status(() => fwd.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({ group: "aadpodidentity.k8s.io", version: "v1", plural: "azureidentities", namespace: "shop", body: json(identity("evil", { namespace: "shop" })) })), 403, "forwarder: create an AzureIdentity");
  assert.equal(await status(() => fwd.makeApiClient(CoordinationV1Api).readNamespacedLease({ name: "other", namespace: NS })), 403, "forwarder: another Lease");
  assert.equal(await status(() => nCore.listNode()), 403, "NMI: list nodes");
  assert.equal(await status(() => nCore.listSecretForAllNamespaces()), 403, "NMI: list secrets");
  assert.equal(await status(() => nCustom.createNamespacedCustomObject({ group: "aadpodidentity.k8s.io", version: "v1", plural: "azureassignedidentities", namespace: "default", body: json(assigned(web, sp)) })), 403, "NMI: create an assignment");
  assert.equal(await status(() => nCore.readNamespacedSecret({ name: "sp-creds", namespace: "shop" })), 200, "NMI: get a secret (its one write-free privilege)");
});
