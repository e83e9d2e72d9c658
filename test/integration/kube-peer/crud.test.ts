// CRUD, status subresource, optimistic concurrency, patches, finalizers and generateName on the
// podid CRDs through the real CustomObjectsApi of @kubernetes/client-node.
import assert from "node:assert/strict";
import { test } from "node:test";
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { expectApiError, GROUP, pod, startKubeFixture, VERSION, type KubeFixture } from "../../helpers/kube-peer-fixture.ts";

interface Obj { apiVersion?: string; kind?: string; metadata: Record<string, unknown> & { name?: string; resourceVersion?: string; generation?: number }; spec?: Record<string, unknown>; status?: Record<string, unknown> }

const KINDS = [
  { kind: "AzureIdentity", plural: "azureidentities", spec: { type: 0, resourceID: "/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1", clientID: "c1" }, change: { clientID: "c2" }, statusSub: false, status: { availableReplicas: 1 } },
  { kind: "AzureIdentityBinding", plural: "azureidentitybindings", spec: { azureIdentity: "id1", selector: "sel" }, change: { selector: "sel2" }, statusSub: false, status: { availableReplicas: 1 } },
  { kind: "AzureAssignedIdentity", plural: "azureassignedidentities", spec: { pod: "p", podNamespace: "default", nodename: "n1", azureIdentityRef: { metadata: { name: "id1" }, spec: { type: 0 } } }, change: { nodename: "n2" }, statusSub: true, status: { status: "Assigned", availableReplicas: 1 } },
  { kind: "AzurePodIdentityException", plural: "azurepodidentityexceptions", spec: { podLabels: { app: "infra" } }, change: { podLabels: { app: "other" } }, statusSub: false, status: { status: "ok" } },
] as const;

const api = (f: KubeFixture, plural: string) => {
  const base = { group: GROUP, version: VERSION, namespace: "default", plural };
  return {
    create: async (body: object) => (await f.co.createNamespacedCustomObject({ ...base, body })) as Obj,
    get: async (name: string) => (await f.co.getNamespacedCustomObject({ ...base, name })) as Obj,
    replace: async (name: string, body: object) => (await f.co.replaceNamespacedCustomObject({ ...base, name, body })) as Obj,
    replaceStatus: async (name: string, body: object) => (await f.co.replaceNamespacedCustomObjectStatus({ ...base, name, body })) as Obj,
    patch: async (name: string, body: object, type: string = PatchStrategy.JsonPatch) =>
      (await f.co.patchNamespacedCustomObject({ ...base, name, body }, setHeaderOptions("Content-Type", type))) as Obj,
    patchStatus: async (name: string, body: object) =>
      (await f.co.patchNamespacedCustomObjectStatus({ ...base, name, body }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch))) as Obj,
    remove: async (name: string) => (await f.co.deleteNamespacedCustomObject({ ...base, name })) as Obj,
    list: async (labelSelector?: string) => (await f.co.listNamespacedCustomObject({ ...base, ...(labelSelector ? { labelSelector } : {}) })) as { items: Obj[]; metadata: { resourceVersion: string; continue?: string } },
  };
};

for (const k of KINDS) {
  test(`${k.kind}: create, get, list, replace, status and delete`, async (t) => {
    const f = await startKubeFixture();
    t.after(() => f.close());
    const a = api(f, k.plural);
    const created = await a.create({ apiVersion: `${GROUP}/${VERSION}`, kind: k.kind, metadata: { name: "one", labels: { tier: "a" } }, spec: k.spec, status: k.status });
    assert.equal(created.metadata.generation, 1);
    assert.match(String(created.metadata.uid), /^[0-9a-f-]{36}$/);
    assert.match(String(created.metadata.creationTimestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(created.spec, k.spec);
    // With a status subresource the server ignores status on create, as for any CRD.
    assert.deepEqual(created.status, k.statusSub ? undefined : k.status);

    const got = await a.get("one");
    assert.equal(got.metadata.resourceVersion, created.metadata.resourceVersion);
    const cluster = (await f.co.listClusterCustomObject({ group: GROUP, version: VERSION, plural: k.plural })) as { items: Obj[]; kind: string; metadata: { resourceVersion: string } };
    assert.equal(cluster.kind, `${k.kind}List`);
    assert.deepEqual(cluster.items.map((i) => i.metadata.name), ["one"]);
    assert.ok(Number(cluster.metadata.resourceVersion) >= Number(created.metadata.resourceVersion));

    const replaced = await a.replace("one", { ...got, spec: { ...got.spec, ...k.change }, status: { bogus: "ignored?" } });
    assert.equal(replaced.metadata.generation, 2);
    assert.ok(Number(replaced.metadata.resourceVersion) > Number(got.metadata.resourceVersion));
    if (k.statusSub) {
      assert.equal(replaced.status, undefined, "status is not writable through the main resource");
      const withStatus = await a.replaceStatus("one", { ...replaced, spec: { pod: "changed?" }, status: { status: "Created" } });
      assert.deepEqual(withStatus.status, { status: "Created" });
      assert.equal(withStatus.spec?.pod, "p", "spec is not writable through /status");
      assert.equal(withStatus.metadata.generation, 2, "status writes do not bump generation");
      const patched = await a.patchStatus("one", { status: { status: "Failed", message: "identity not found" } });
      assert.deepEqual(patched.status, { status: "Failed", message: "identity not found" });
      const unchanged = await a.replace("one", { ...patched, status: { status: "Assigned" } });
      assert.equal(unchanged.status?.status, "Failed");
      assert.equal(unchanged.metadata.resourceVersion, patched.metadata.resourceVersion, "a no-op update writes nothing");
    } else {
      assert.deepEqual(replaced.status, { bogus: "ignored?" }, "without a status subresource status is an ordinary field");
      const e = await expectApiError(() => a.patchStatus("one", { status: {} }));
      assert.equal(e.code, 404);
    }

    const gone = await a.remove("one");
    assert.equal(gone.metadata.name, "one");
    const e = await expectApiError(() => a.get("one"));
    assert.equal(e.code, 404);
    assert.deepEqual(e.status, {
      kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", reason: "NotFound", code: 404,
      message: `${k.plural}.${GROUP} "one" not found`, details: { name: "one", group: GROUP, kind: k.plural },
    });
  });
}

test("stale resourceVersion: replace and patch answer 409 Conflict; create of an existing name 409 AlreadyExists", async (t) => {
  const f = await startKubeFixture();
  t.after(() => f.close());
  const a = api(f, "azureidentities");
  const v1 = await a.create({ metadata: { name: "x" }, spec: { type: 0, clientID: "a" } });
  await a.replace("x", { ...v1, spec: { type: 0, clientID: "b" } });
  const stale = await expectApiError(() => a.replace("x", { ...v1, spec: { type: 0, clientID: "c" } }));
  assert.equal(stale.code, 409);
  assert.equal(stale.status.reason, "Conflict");
  assert.equal(stale.status.message, `Operation cannot be fulfilled on azureidentities.${GROUP} "x": the object has been modified; please apply your changes to the latest version and try again`);
  const viaPatch = await expectApiError(() => a.patch("x", { metadata: { resourceVersion: v1.metadata.resourceVersion }, spec: { clientID: "d" } }, PatchStrategy.MergePatch));
  assert.equal(viaPatch.code, 409);
  const dup = await expectApiError(() => a.create({ metadata: { name: "x" }, spec: {} }));
  assert.equal(dup.code, 409);
  assert.equal(dup.status.reason, "AlreadyExists");
  // Custom resources refuse unconditional updates (no resourceVersion at all).
  const uncond = await expectApiError(() => a.replace("x", { metadata: { name: "x" }, spec: {} }));
  assert.equal(uncond.code, 422);
  assert.equal((await a.get("x")).spec?.clientID, "b");
});

test("merge patch, JSON patch (with test), strategic merge refused for CRDs with 415", async (t) => {
  const f = await startKubeFixture();
  t.after(() => f.close());
  const a = api(f, "azureidentities");
  await a.create({ metadata: { name: "p", labels: { keep: "1", drop: "1" } }, spec: { type: 1, clientID: "a", auxiliaryTenantIDs: ["t1"] } });
  const merged = await a.patch("p", { metadata: { labels: { drop: null, add: "2" } }, spec: { tenantID: "t", auxiliaryTenantIDs: ["t2", "t3"] } }, PatchStrategy.MergePatch);
  assert.deepEqual(merged.metadata.labels, { keep: "1", add: "2" });
  assert.deepEqual(merged.spec, { type: 1, clientID: "a", auxiliaryTenantIDs: ["t2", "t3"], tenantID: "t" });
  assert.equal(merged.metadata.generation, 2);
  const jp = await a.patch("p", [
    { op: "test", path: "/spec/clientID", value: "a" },
    { op: "replace", path: "/spec/clientID", value: "b" },
    { op: "add", path: "/spec/auxiliaryTenantIDs/-", value: "t4" },
    { op: "remove", path: "/spec/auxiliaryTenantIDs/0" },
    { op: "copy", from: "/spec/tenantID", path: "/spec/adEndpoint" },
    { op: "move", from: "/spec/adEndpoint", path: "/spec/adResourceID" },
  ]);
  assert.deepEqual(jp.spec, { type: 1, clientID: "b", auxiliaryTenantIDs: ["t3", "t4"], tenantID: "t", adResourceID: "t" });
  const failedTest = await expectApiError(() => a.patch("p", [{ op: "test", path: "/spec/clientID", value: "zzz" }, { op: "remove", path: "/spec/clientID" }]));
  assert.equal(failedTest.code, 422);
  assert.match(failedTest.status.details?.causes?.[0]?.message ?? "", /testing value \/spec\/clientID failed/);
  assert.equal((await a.get("p")).spec?.clientID, "b", "a failed test applies nothing");
  const smp = await expectApiError(() => a.patch("p", { spec: { clientID: "c" } }, PatchStrategy.StrategicMergePatch));
  assert.equal(smp.code, 415);
  assert.equal(smp.status.reason, "UnsupportedMediaType");
  const missing = await expectApiError(() => a.patch("nope", { spec: {} }, PatchStrategy.MergePatch));
  assert.equal(missing.code, 404);
  // Built-in kinds accept strategic merge patches.
  await f.core.createNamespacedSecret({ namespace: "default", body: { metadata: { name: "s" }, stringData: { secret: "v" } } });
  const s = await f.core.patchNamespacedSecret({ name: "s", namespace: "default", body: { metadata: { labels: { a: "b" }, "$retainKeys": ["labels"] } } },
    setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch));
  assert.deepEqual(s.metadata?.labels, { a: "b" });
  assert.equal("$retainKeys" in (s.metadata ?? {}), false, "patch directives are not stored");
  assert.equal(s.data?.secret, Buffer.from("v").toString("base64"));
  assert.equal(s.type, "Opaque");
});

test("finalizers hold a deleted object until the last one is removed", async (t) => {
  const f = await startKubeFixture();
  t.after(() => f.close());
  const a = api(f, "azureassignedidentities");
  const fin = "azureassignedidentity.finalizers.aadpodidentity.k8s.io";
  await a.create({ metadata: { name: "held", finalizers: [fin, "other/x"] }, spec: { pod: "p", podNamespace: "default", nodename: "n" } });
  const marked = await a.remove("held");
  assert.match(String(marked.metadata.deletionTimestamp), /Z$/);
  const still = await a.get("held");
  assert.equal(still.metadata.deletionTimestamp, marked.metadata.deletionTimestamp);
  const again = await a.remove("held");
  assert.equal(again.metadata.deletionTimestamp, marked.metadata.deletionTimestamp, "a second delete changes nothing");
  const added = await expectApiError(() => a.patch("held", [{ op: "add", path: "/metadata/finalizers/-", value: "new/one" }]));
  assert.equal(added.code, 422);
  await a.patch("held", [{ op: "remove", path: "/metadata/finalizers/0" }]);
  assert.deepEqual((await a.get("held")).metadata.finalizers, ["other/x"]);
  await a.patch("held", { metadata: { finalizers: null } }, PatchStrategy.MergePatch);
  assert.equal((await expectApiError(() => a.get("held"))).code, 404);
  const del = f.peer.requests.filter((r) => r.method === "DELETE").map((r) => r.status);
  assert.deepEqual(del, [200, 200]);
});

test("generateName, name validation and the namespace must exist", async (t) => {
  const f = await startKubeFixture();
  t.after(() => f.close());
  const a = api(f, "azureidentitybindings");
  const g1 = await a.create({ metadata: { generateName: "bind-" }, spec: { azureIdentity: "i", selector: "s" } });
  const g2 = await a.create({ metadata: { generateName: "bind-" }, spec: { azureIdentity: "i", selector: "s" } });
  assert.match(g1.metadata.name ?? "", /^bind-[a-z0-9]{5}$/);
  assert.notEqual(g1.metadata.name, g2.metadata.name);
  const bad = await expectApiError(() => a.create({ metadata: { name: "Bad_Name" }, spec: {} }));
  assert.equal(bad.code, 422);
  assert.equal(bad.status.details?.causes?.[0]?.field, "metadata.name");
  const noName = await expectApiError(() => a.create({ metadata: {}, spec: {} }));
  assert.equal(noName.code, 422);
  const noNs = await expectApiError(() => f.co.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: "nowhere", plural: "azureidentitybindings", body: { metadata: { name: "x" }, spec: {} } }));
  assert.equal(noNs.code, 404);
  assert.equal(noNs.status.message, 'namespaces "nowhere" not found');
  const wrongNs = await expectApiError(() => a.create({ metadata: { name: "x", namespace: "kube-system" }, spec: {} }));
  assert.equal(wrongNs.code, 400);
});

test("deleting a namespace deletes its contents; default cannot be deleted", async (t) => {
  const f = await startKubeFixture();
  t.after(() => f.close());
  await f.core.createNamespace({ body: { metadata: { name: "team" } } });
  await f.co.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: "team", plural: "azureidentities", body: { metadata: { name: "i" }, spec: { type: 0 } } });
  await f.core.deleteNamespace({ name: "team" });
  assert.equal((await expectApiError(() => f.core.readNamespace({ name: "team" }))).code, 404);
  assert.deepEqual(f.peer.list("azureidentities", "team"), []);
  const protectedNs = await expectApiError(() => f.core.deleteNamespace({ name: "default" }));
  assert.equal(protectedNs.code, 403);
});

test("pods: the server owns status on create; pods/status sets phase and podIP", async (t) => {
  const f = await startKubeFixture();
  t.after(() => f.close());
  const created = await f.core.createNamespacedPod({ namespace: "default", body: { ...pod("web", "default", { aadpodidbinding: "demo" }, "node-1"), status: { phase: "Running", podIP: "10.1.1.1" } } });
  assert.deepEqual({ ...created.status }, { phase: "Pending", qosClass: "BestEffort" });
  const withIp = await f.core.patchNamespacedPodStatus({ name: "web", namespace: "default", body: { status: { phase: "Running", podIP: "10.1.1.1" } } },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
  assert.equal(withIp.status?.podIP, "10.1.1.1");
  const found = await f.core.listPodForAllNamespaces({ fieldSelector: "status.podIP=10.1.1.1,spec.nodeName=node-1" });
  assert.deepEqual(found.items.map((p) => p.metadata?.name), ["web"]);
  const noContainers = await expectApiError(() => f.core.createNamespacedPod({ namespace: "default", body: { metadata: { name: "empty" }, spec: { containers: [] } } }));
  assert.equal(noContainers.code, 422);
  assert.equal(noContainers.status.details?.causes?.[0]?.field, "spec.containers");
});
