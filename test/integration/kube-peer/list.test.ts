// Lists through the real client: set-based label selectors, field selectors, paging, and the
// resourceVersion rules (410 Expired for compacted exact reads, 504 for future versions).
import assert from "node:assert/strict";
import { test } from "node:test";
import { expectApiError, GROUP, pod, startKubeFixture, VERSION, type KubeFixture } from "../../helpers/kube-peer-fixture.ts";

async function seedPods(f: KubeFixture): Promise<void> {
  f.peer.ensureNamespace("jobs");
  const pods: [string, string, Record<string, string>, string, string, string][] = [
    ["a", "default", { app: "web", tier: "front" }, "n1", "Running", "10.0.0.1"],
    ["b", "default", { app: "api", tier: "back" }, "n2", "Running", "10.0.0.2"],
    ["c", "jobs", { app: "batch" }, "n1", "Pending", ""],
    ["d", "jobs", { aadpodidbinding: "demo", app: "web" }, "n2", "Succeeded", "10.0.0.4"],
  ];
  for (const [name, ns, labels, node, phase, ip] of pods) {
    f.peer.put("pods", { ...pod(name, ns, labels, node), status: { phase, ...(ip ? { podIP: ip } : {}) } });
  }
}

test("label selectors: equality, set-based, exists and not-exists", async (t) => {
  const f = await startKubeFixture();
  t.after(() => f.close());
  await seedPods(f);
  const names = async (labelSelector: string) =>
    (await f.core.listPodForAllNamespaces({ labelSelector })).items.map((p) => p.metadata?.name).join(",");
  assert.equal(await names("app=web"), "a,d");
  assert.equal(await names("app==web"), "a,d");
  assert.equal(await names("app!=web"), "b,c");
  assert.equal(await names("app in (web, batch)"), "a,c,d");
  assert.equal(await names("app notin (web,batch)"), "b");
  assert.equal(await names("tier"), "a,b");
  assert.equal(await names("!tier"), "c,d");
  assert.equal(await names("app=web,!tier"), "d");
  assert.equal(await names("tier notin (front)"), "b,c,d", "notin also matches pods without the key");
  assert.equal(await names("aadpodidbinding"), "d");
  const bad = await expectApiError(() => f.core.listPodForAllNamespaces({ labelSelector: "app in web" }));
  assert.equal(bad.code, 400);
  assert.equal(bad.status.reason, "BadRequest");
  assert.match(bad.status.message ?? "", /^unable to parse requirement/);
});

test("field selectors on pods and custom resources", async (t) => {
  const f = await startKubeFixture();
  t.after(() => f.close());
  await seedPods(f);
  const names = async (fieldSelector: string, namespace?: string) =>
    (namespace ? await f.core.listNamespacedPod({ namespace, fieldSelector }) : await f.core.listPodForAllNamespaces({ fieldSelector }))
      .items.map((p) => p.metadata?.name).join(",");
  assert.equal(await names("spec.nodeName=n1"), "a,c");
  assert.equal(await names("spec.nodeName==n2,status.phase=Running"), "b");
  assert.equal(await names("status.podIP=10.0.0.4"), "d");
  assert.equal(await names("status.podIP="), "c");
  assert.equal(await names("status.phase!=Running"), "c,d");
  assert.equal(await names("metadata.namespace=jobs"), "c,d");
  assert.equal(await names("metadata.name=d", "jobs"), "d");
  const unsupported = await expectApiError(() => f.core.listPodForAllNamespaces({ fieldSelector: "spec.containers=x" }));
  assert.equal(unsupported.code, 400);
  assert.equal(unsupported.status.message, "field label not supported: spec.containers");
  await f.co.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: "default", plural: "azureassignedidentities", body: { metadata: { name: "x", labels: { nodename: "n1" } }, spec: { pod: "a", podNamespace: "default", nodename: "n1" } } });
  const byName = (await f.co.listClusterCustomObject({ group: GROUP, version: VERSION, plural: "azureassignedidentities", fieldSelector: "metadata.name=x", labelSelector: "nodename in (n1)" })) as { items: unknown[] };
  assert.equal(byName.items.length, 1);
  const crdField = await expectApiError(() => f.co.listClusterCustomObject({ group: GROUP, version: VERSION, plural: "azureassignedidentities", fieldSelector: "spec.nodename=n1" }));
  assert.equal(crdField.code, 400);
});

test("paging with limit/continue, and resourceVersion rules on lists", async (t) => {
  const f = await startKubeFixture();
  t.after(() => f.close());
  await seedPods(f);
  const first = await f.core.listPodForAllNamespaces({ limit: 3 });
  assert.deepEqual(first.items.map((p) => p.metadata?.name), ["a", "b", "c"]);
  assert.equal(first.metadata?.remainingItemCount, 1);
  const rest = await f.core.listPodForAllNamespaces({ limit: 3, _continue: first.metadata?._continue ?? "" });
  assert.deepEqual(rest.items.map((p) => p.metadata?.name), ["d"]);
  assert.equal(rest.metadata?._continue, undefined);
  assert.equal(rest.metadata?.resourceVersion, first.metadata?.resourceVersion, "pages share the first page's resourceVersion");

  const rv = first.metadata?.resourceVersion ?? "";
  assert.equal((await f.core.listPodForAllNamespaces({ resourceVersion: rv, resourceVersionMatch: "Exact" })).items.length, 4);
  f.peer.put("pods", pod("e", "default"));
  f.peer.compact();
  const gone = await expectApiError(() => f.core.listPodForAllNamespaces({ resourceVersion: rv, resourceVersionMatch: "Exact" }));
  assert.equal(gone.code, 410);
  assert.equal(gone.status.reason, "Expired");
  const staleContinue = await expectApiError(() => f.core.listPodForAllNamespaces({ limit: 3, _continue: first.metadata?._continue ?? "" }));
  assert.equal(staleContinue.code, 410);
  // A plain resourceVersion means "not older than": served from the current state.
  assert.equal((await f.core.listPodForAllNamespaces({ resourceVersion: rv })).items.length, 5);
  const future = await expectApiError(() => f.core.listPodForAllNamespaces({ resourceVersion: String(f.peer.resourceVersion() + 100) }));
  assert.equal(future.code, 504);
  assert.equal(future.status.reason, "Timeout");
});
