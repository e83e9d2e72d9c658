// Discovery documents, /version, built-in kinds (leases, namespaces) and CRDs created at run
// time, read through the real client's discovery-facing APIs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiextensionsV1Api, ApisApi, CoordinationV1Api, CoreApi, KubernetesObjectApi, VersionApi } from "@kubernetes/client-node";
import { expectApiError, GROUP, startKubeFixture, VERSION } from "../../helpers/kube-peer-fixture.ts";

interface ApiResource { name: string; singularName: string; namespaced: boolean; kind: string; verbs: string[]; shortNames?: string[]; categories?: string[] }

test("discovery: /api, /apis, group-version resource lists and /version", async (t) => {
  const f = await startKubeFixture();
  t.after(() => f.close());
  const core = await f.kc.makeApiClient(CoreApi).getAPIVersions();
  assert.deepEqual(core.versions, ["v1"]);
  const groups = await f.kc.makeApiClient(ApisApi).getAPIVersions();
  const podid = groups.groups.find((g) => g.name === GROUP);
  assert.deepEqual({ ...podid?.preferredVersion }, { groupVersion: `${GROUP}/${VERSION}`, version: VERSION });
  assert.ok(groups.groups.some((g) => g.name === "coordination.k8s.io"));
  const version = await f.kc.makeApiClient(VersionApi).getCode();
  assert.equal(version.major, "1");
  assert.match(version.gitVersion, /^v1\.\d+\.\d+/);

  const list = (await (await fetch(`${f.peer.url}/apis/${GROUP}/${VERSION}`)).json()) as { kind: string; groupVersion: string; resources: ApiResource[] };
  assert.equal(list.kind, "APIResourceList");
  assert.equal(list.groupVersion, `${GROUP}/${VERSION}`);
  const byName = new Map(list.resources.map((r) => [r.name, r]));
  assert.deepEqual([...byName.keys()].sort(), ["azureassignedidentities", "azureassignedidentities/status", "azureidentities", "azureidentitybindings", "azurepodidentityexceptions"]);
  const aai = byName.get("azureassignedidentities");
  assert.deepEqual({ ...aai, verbs: aai?.verbs.slice().sort() }, {
    name: "azureassignedidentities", singularName: "azureassignedidentity", namespaced: true, kind: "AzureAssignedIdentity",
    verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"], shortNames: ["azaid"], categories: ["podid"],
  });
  assert.deepEqual(byName.get("azureassignedidentities/status")?.verbs, ["get", "patch", "update"]);
  const v1 = (await (await fetch(`${f.peer.url}/api/v1`)).json()) as { resources: ApiResource[] };
  const ns = v1.resources.find((r) => r.name === "namespaces");
  assert.equal(ns?.namespaced, false);
  assert.ok(v1.resources.some((r) => r.name === "pods/status"));
  assert.deepEqual(v1.resources.find((r) => r.name === "nodes")?.shortNames, ["no"]);
});

test("unknown paths and wrong methods answer with the real server's Status objects", async (t) => {
  const f = await startKubeFixture();
  t.after(() => f.close());
  const r = await fetch(`${f.peer.url}/apis/example.com/v1/widgets`);
  assert.equal(r.status, 404);
  assert.deepEqual(await r.json(), { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: "the server could not find the requested resource", reason: "NotFound", details: {}, code: 404 });
  const m = await fetch(`${f.peer.url}/api/v1/namespaces/default/pods/x`, { method: "POST", body: "{}" });
  assert.equal(m.status, 405);
  assert.equal(((await m.json()) as { reason: string }).reason, "MethodNotAllowed");
  const bad = await fetch(`${f.peer.url}/api/v1/namespaces/default/pods`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{not json" });
  assert.equal(bad.status, 400);
});

test("leases (coordination.k8s.io) and nodes as the components use them", async (t) => {
  const f = await startKubeFixture();
  t.after(() => f.close());
  const coord = f.kc.makeApiClient(CoordinationV1Api);
  // Leases may be created by PUT (AllowCreateOnUpdate), as leader election relies on.
  const lease = await coord.replaceNamespacedLease({ name: "forwarder", namespace: "kube-system", body: { metadata: { name: "forwarder" }, spec: { holderIdentity: "a", leaseDurationSeconds: 15 } } });
  assert.equal(lease.spec?.holderIdentity, "a");
  const taken = await coord.replaceNamespacedLease({ name: "forwarder", namespace: "kube-system", body: { ...lease, spec: { ...lease.spec, holderIdentity: "b" } } });
  assert.equal(taken.spec?.holderIdentity, "b");
  const lost = await expectApiError(() => coord.replaceNamespacedLease({ name: "forwarder", namespace: "kube-system", body: { ...lease, spec: { holderIdentity: "c" } } }));
  assert.equal(lost.code, 409);
  await f.core.createNode({ body: { metadata: { name: "aks-nodepool1-0", labels: { "kubernetes.azure.com/role": "agent" } }, spec: { providerID: "azure:///subscriptions/s/resourceGroups/mc/providers/Microsoft.Compute/virtualMachineScaleSets/vmss/virtualMachines/0" } } });
  const nodes = await f.core.listNode({ labelSelector: "kubernetes.azure.com/role=agent" });
  assert.deepEqual(nodes.items.map((n) => n.metadata?.name), ["aks-nodepool1-0"]);
  assert.equal(nodes.items[0]?.metadata?.namespace, undefined);
});

test("a CRD created through the API is served at once and removed with its objects", async (t) => {
  const f = await startKubeFixture({ crdDir: null });
  t.after(() => f.close());
  const ext = f.kc.makeApiClient(ApiextensionsV1Api);
  assert.equal((await ext.listCustomResourceDefinition()).items.length, 0);
  await ext.createCustomResourceDefinition({ body: {
    metadata: { name: "widgets.example.com" },
    spec: { group: "example.com", scope: "Cluster", names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
      versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", properties: { spec: { type: "object", required: ["size"], properties: { size: { type: "integer" } } } } } } }] },
  } });
  const objects = KubernetesObjectApi.makeApiClient(f.kc);
  await objects.create({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" }, spec: { size: 3 } } as never);
  const missing = await expectApiError(() => objects.create({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w2" }, spec: {} } as never));
  assert.equal(missing.code, 422);
  assert.deepEqual(missing.status.details?.causes, [{ reason: "FieldValueRequired", field: "spec.size", message: "Required value" }]);
  const listed = (await f.co.listClusterCustomObject({ group: "example.com", version: "v1", plural: "widgets" })) as { items: { metadata: { name: string; namespace?: string } }[] };
  assert.deepEqual(listed.items.map((w) => w.metadata.name), ["w"]);
  assert.equal(listed.items[0]?.metadata.namespace, undefined, "cluster-scoped objects have no namespace");
  await ext.deleteCustomResourceDefinition({ name: "widgets.example.com" });
  assert.equal((await expectApiError(() => f.co.listClusterCustomObject({ group: "example.com", version: "v1", plural: "widgets" }))).code, 404);
  const apis = (await (await fetch(`${f.peer.url}/apis`)).json()) as { groups: { name: string }[] };
  assert.ok(!apis.groups.some((g) => g.name === "example.com"));
});
