// Informers and watches of the real @kubernetes/client-node against the kube-apiserver peer:
// selectors, selector transitions, 410 in both forms with relist, dropped and closed streams.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ListWatch, PatchStrategy, setHeaderOptions, Watch, type KubernetesObject, type V1Pod } from "@kubernetes/client-node";
import { GROUP, pod, startKubeFixture, VERSION, waitFor, type KubeFixture } from "../../helpers/kube-peer-fixture.ts";

type Ev = [string, string];

function record(lw: ListWatch<KubernetesObject>): Ev[] {
  const events: Ev[] = [];
  for (const verb of ["add", "update", "delete"] as const) {
    lw.on(verb, (o) => events.push([verb, o.metadata?.name ?? ""]));
  }
  return events;
}

function identity(name: string, labels: Record<string, string> = {}, clientID = "c1"): object {
  return { apiVersion: `${GROUP}/${VERSION}`, kind: "AzureIdentity", metadata: { name, labels }, spec: { type: 0, clientID, resourceID: `/id/${name}` } };
}

function identityInformer(f: KubeFixture, labelSelector?: string): ListWatch<KubernetesObject> {
  const path = `/apis/${GROUP}/${VERSION}/namespaces/default/azureidentities`;
  const listFn = async () => (await f.co.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: "default", plural: "azureidentities", ...(labelSelector ? { labelSelector } : {}) })) as { items: KubernetesObject[]; metadata?: { resourceVersion?: string } };
  return new ListWatch(path, new Watch(f.kc), listFn, false, labelSelector);
}

const create = (f: KubeFixture, body: object) =>
  f.co.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: "default", plural: "azureidentities", body });

test("an informer with label and field selectors sees add, update, delete and selector transitions", async (t) => {
  const f = await startKubeFixture();
  f.peer.ensureNamespace("jobs");
  await f.core.createNamespacedPod({ namespace: "jobs", body: pod("p0", "jobs", { app: "runner" }, "n1") });
  await f.core.createNamespacedPod({ namespace: "jobs", body: pod("other-node", "jobs", { app: "runner" }, "n2") });
  const lw = new ListWatch<V1Pod>("/api/v1/namespaces/jobs/pods", new Watch(f.kc),
    () => f.core.listNamespacedPod({ namespace: "jobs", labelSelector: "app=runner", fieldSelector: "spec.nodeName=n1" }),
    false, "app=runner", "spec.nodeName=n1");
  t.after(async () => { await lw.stop(); await f.close(); });
  const events = record(lw);
  await lw.start();
  await waitFor("initial add", () => events.length === 1);

  await f.core.createNamespacedPod({ namespace: "jobs", body: pod("p1", "jobs", { app: "runner" }, "n1") });
  await f.core.createNamespacedPod({ namespace: "jobs", body: pod("unlabelled", "jobs", {}, "n1") });
  await f.core.patchNamespacedPod({ name: "p1", namespace: "jobs", body: { metadata: { annotations: { a: "1" } } } },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
  // Leaving the selector looks like a delete to the watcher; entering it like an add.
  await f.core.patchNamespacedPod({ name: "p1", namespace: "jobs", body: [{ op: "replace", path: "/metadata/labels/app", value: "other" }] });
  await f.core.patchNamespacedPod({ name: "unlabelled", namespace: "jobs", body: [{ op: "add", path: "/metadata/labels", value: { app: "runner" } }] });
  await f.core.deleteNamespacedPod({ name: "p0", namespace: "jobs" });
  await waitFor("all events", () => events.length === 6);
  assert.deepEqual(events, [["add", "p0"], ["add", "p1"], ["update", "p1"], ["delete", "p1"], ["add", "unlabelled"], ["delete", "p0"]]);
  assert.deepEqual(lw.list("jobs").map((p) => p.metadata?.name), ["unlabelled"]);
  const watchReq = f.peer.requests.find((r) => r.verb === "watch");
  assert.match(watchReq?.query ?? "", /labelSelector=app%3Drunner/);
  assert.match(watchReq?.query ?? "", /fieldSelector=spec.nodeName%3Dn1/);
});

for (const form of ["event", "status"] as const) {
  test(`a watch from a compacted resourceVersion gets 410 (${form === "event" ? "ERROR event" : "HTTP status"}), relists and converges`, async (t) => {
    const f = await startKubeFixture({ watchExpiredAs: form });
    const lw = identityInformer(f);
    t.after(async () => { await lw.stop(); await f.close(); });
    const events = record(lw);
    await create(f, identity("a"));
    await create(f, identity("b"));
    await lw.start();
    await waitFor("initial list", () => events.length === 2);

    // While the informer is away: a delete, an update and an add it never sees as events.
    await lw.stop();
    await f.co.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: "default", plural: "azureidentities", name: "a" });
    await f.co.patchNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: "default", plural: "azureidentities", name: "b", body: [{ op: "replace", path: "/spec/clientID", value: "c2" }] });
    await create(f, identity("c"));
    f.peer.compact();
    f.peer.clearRequests();
    await lw.start();

    await waitFor("relist", () => events.length === 5);
    assert.deepEqual(events.slice(2).sort(), [["add", "c"], ["delete", "a"], ["update", "b"]]);
    assert.deepEqual(lw.list("default").map((o) => o.metadata?.name).sort(), ["b", "c"]);
    const log = f.peer.requests.map((r) => `${r.verb}:${r.status}`);
    assert.equal(log[0], form === "event" ? "watch:200" : "watch:410");
    assert.equal(log[1], "list:200");
    await waitFor("new watch", () => f.peer.watchCount() === 1);

    // And once converged, the new watch delivers as usual.
    await create(f, identity("d"));
    await waitFor("add d", () => events.some(([v, n]) => v === "add" && n === "d"));
  });
}

test("an ERROR 410 on an open stream (watch cache reset) makes the informer relist", async (t) => {
  const f = await startKubeFixture();
  const lw = identityInformer(f);
  t.after(async () => { await lw.stop(); await f.close(); });
  const events = record(lw);
  await lw.start();
  await waitFor("watch", () => f.peer.watchCount() === 1);
  f.peer.clearRequests();
  f.peer.expireWatches();
  await waitFor("relist", () => f.peer.requests.some((r) => r.verb === "list"));
  await waitFor("new watch", () => f.peer.watchCount() === 1);
  await create(f, identity("after"));
  await waitFor("add", () => events.length === 1);
  assert.deepEqual(f.peer.requests.map((r) => r.verb).slice(0, 2), ["list", "watch"]);
});

test("a cleanly closed watch resumes from its resourceVersion without relisting", async (t) => {
  const f = await startKubeFixture();
  const lw = identityInformer(f);
  t.after(async () => { await lw.stop(); await f.close(); });
  const events = record(lw);
  await create(f, identity("x"));
  await lw.start();
  await waitFor("watch", () => f.peer.watchCount() === 1 && events.length === 1);
  const rv = lw.latestResourceVersion();
  f.peer.clearRequests();
  f.peer.closeWatches();
  await create(f, identity("y"));
  await waitFor("add y", () => events.length === 2);
  const verbs = f.peer.requests.map((r) => r.verb);
  assert.ok(!verbs.includes("list"), `no relist expected, saw ${verbs.join(",")}`);
  const rewatch = f.peer.requests.find((r) => r.verb === "watch");
  assert.match(rewatch?.query ?? "", new RegExp(`resourceVersion=${rv}`));
});

test("a dropped watch connection is reported and the documented restart pattern reconnects", async (t) => {
  const f = await startKubeFixture();
  const lw = identityInformer(f);
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const errors: string[] = [];
  lw.on("error", (e) => {
    errors.push((e as Error).message);
    if (stopped) return;
    const timer = setTimeout(() => { timers.delete(timer); void lw.start(); }, 20);
    timers.add(timer);
  });
  t.after(async () => { stopped = true; for (const tm of timers) clearTimeout(tm); await lw.stop(); await f.close(); });
  const events = record(lw);
  await lw.start();
  await waitFor("watch", () => f.peer.watchCount() === 1);
  f.peer.dropWatches();
  await waitFor("stream gone", () => f.peer.watchCount() === 0);
  await create(f, identity("while-dropped"));
  await waitFor("reconnected and caught up", () => events.some(([v, n]) => v === "add" && n === "while-dropped"));
  await waitFor("watch again", () => f.peer.watchCount() === 1);
  // client-node 1.4 does not restart by itself after a cut: it reports node-fetch's error.
  assert.equal(errors[0], "Premature close");
});

test("watch replays history from a resourceVersion, sends BOOKMARKs and ends at timeoutSeconds", async (t) => {
  const f = await startKubeFixture();
  t.after(() => f.close());
  const start = String(f.peer.resourceVersion());
  await create(f, identity("h1"));
  await f.co.patchNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: "default", plural: "azureidentities", name: "h1", body: [{ op: "add", path: "/spec/tenantID", value: "t" }] });
  await f.co.deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: "default", plural: "azureidentities", name: "h1" });
  const seen: { type: string; rv: string }[] = [];
  const began = Date.now();
  const ended = new Promise<unknown>((resolve) => {
    void new Watch(f.kc).watch(`/apis/${GROUP}/${VERSION}/namespaces/default/azureidentities`,
      { resourceVersion: start, allowWatchBookmarks: true, timeoutSeconds: 1 },
      (type, obj: KubernetesObject) => seen.push({ type, rv: obj.metadata?.resourceVersion ?? "" }), resolve);
  });
  assert.equal(await ended, null, "a server-side timeout ends the stream normally");
  assert.ok(Date.now() - began >= 900, "stream stayed open until timeoutSeconds");
  assert.deepEqual(seen.slice(0, 3).map((e) => e.type), ["ADDED", "MODIFIED", "DELETED"]);
  const rvs = seen.slice(0, 3).map((e) => Number(e.rv));
  assert.ok(rvs[0]! < rvs[1]! && rvs[1]! < rvs[2]!, "resourceVersions increase");
  const bookmarks = seen.filter((e) => e.type === "BOOKMARK");
  assert.ok(bookmarks.length >= 3, `expected periodic bookmarks, got ${bookmarks.length}`);
  assert.equal(bookmarks.at(-1)?.rv, String(f.peer.resourceVersion()));
  assert.equal(f.peer.watchCount(), 0);
});
