// Forwarder → mic-events on the real client-node and @azure/service-bus SDKs against the peers.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { CoreV1Api } from "@kubernetes/client-node";
import { parseMicEvent, type SnapshotEvent } from "../../../core/index.ts";
import { kubeConfigFor } from "../../../sandbox/peers/kube/index.ts";
import { waitFor } from "../../helpers/forwarder-fakes.ts";
import { CLUSTER, type Harness, leaderReady, metricValue, pod, type RunningForwarder, startHarness } from "../../helpers/forwarder-harness.ts";

let h: Harness;
let fwd: RunningForwarder;

before(async () => {
  h = await startHarness();
  // Existing state before the forwarder starts: it must all arrive in the initial snapshot.
  for (let i = 0; i < 12; i++) h.kube.put("pods", pod(`pre-${i}`, { aadpodidbinding: "web", app: "x".repeat(40) }));
  h.kube.put("pods", pod("unlabelled", { app: "other" }));
  for (let i = 0; i < 4; i++) h.kube.put("nodes", { metadata: { name: `n${i}` }, spec: { providerID: `azure:///subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/n${i}` } });
  h.kube.put("azureidentities", { metadata: { name: "web-id", namespace: "shop" }, spec: { type: 0, clientID: "cid", resourceID: "/x" } });
  h.kube.put("azureidentitybindings", { metadata: { name: "web-b", namespace: "shop" }, spec: { azureIdentity: "web-id", selector: "web" } });
  h.kube.put("azurepodidentityexceptions", { metadata: { name: "ex", namespace: "shop" }, spec: { podLabels: { skip: "yes" } } });
  fwd = await h.startForwarder("fwd-a", { snapshotMaxBodyBytes: 2048 });
  h.events.start();
  await waitFor(() => leaderReady(fwd), 8000, "forwarder ready");
});

after(async () => {
  await h.close();
});

test("the start-up snapshot is chunked, complete and leaves out unlabelled pods", async () => {
  const first = await h.events.waitFor((b) => b.kind === "Snapshot", 8000, "snapshot");
  const id = (first.body as SnapshotEvent).snapshotId;
  const parts = (first.body as SnapshotEvent).parts;
  assert.ok(parts > 1, `expected several parts at 2 KiB, got ${parts}`);
  await waitFor(() => h.events.bodies().filter((b) => b.snapshotId === id).length === parts, 8000, "all parts");
  const msgs = h.events.received.filter((m) => (m.body as SnapshotEvent).snapshotId === id);
  assert.deepEqual(msgs.map((m) => (m.body as SnapshotEvent).part), Array.from({ length: parts }, (_, i) => i + 1));
  for (const m of msgs) {
    assert.equal(m.sessionId, CLUSTER);
    assert.equal(m.contentType, "application/json");
    assert.equal(m.messageId, `Snapshot/${id}/${(m.body as SnapshotEvent).part}`);
    assert.ok(parseMicEvent(m.body, CLUSTER).ok, "valid against core's contract");
  }
  const objects = msgs.flatMap((m) => (m.body as SnapshotEvent).objects);
  const count = (k: string) => objects.filter((o) => o.kind === k).length;
  assert.deepEqual([count("Pod"), count("Node"), count("AzureIdentity"), count("AzureIdentityBinding"), count("AzurePodIdentityException")], [12, 4, 1, 1, 1]);
  assert.ok(!objects.some((o) => o.object.metadata.name === "unlabelled"));
  assert.doesNotMatch(JSON.stringify(objects), /do-not-forward/, "pods are trimmed");
  assert.equal(await metricValue(fwd.registry, "podid_forwarder_snapshots_total"), 1);
  assert.equal(await metricValue(fwd.registry, "podid_forwarder_leader"), 1);
});

test("a labelled pod created through the API arrives as an upsert; removing the label sends a delete", async () => {
  const core = kubeConfigFor(h.kube).makeApiClient(CoreV1Api);
  const created = await core.createNamespacedPod({
    namespace: "shop",
    body: { metadata: { name: "web-new", labels: { aadpodidbinding: "web" } }, spec: { nodeName: "n1", containers: [{ name: "app", image: "app:1" }] } },
  });
  const uid = created.metadata?.uid ?? "";
  const up = await h.events.waitFor((b) => b.op === "upsert" && (b.object as { metadata: { name: string } }).metadata.name === "web-new", 8000, "upsert");
  const rv = (up.body as { object: { metadata: { resourceVersion: string } } }).object.metadata.resourceVersion;
  assert.equal(up.messageId, `Pod/${uid}/${rv}`);
  assert.equal(up.sessionId, CLUSTER);
  assert.equal(up.contentType, "application/json");
  const parsed = parseMicEvent(up.body, CLUSTER);
  assert.ok(parsed.ok && parsed.message.kind === "Pod" && parsed.message.object.spec.nodeName === "n1");

  await core.patchNamespacedPod({ name: "web-new", namespace: "shop", body: [{ op: "remove", path: "/metadata/labels/aadpodidbinding" }] });
  const del = await h.events.waitFor((b) => b.op === "delete" && (b.object as { metadata: { name: string } }).metadata.name === "web-new", 8000, "delete");
  assert.match(String(del.messageId), new RegExp(`^Pod/${uid}/\\d+/delete$`));
  assert.ok(await metricValue(fwd.registry, "podid_forwarder_events_total", { kind: "Pod", op: "delete" }) >= 1);
});

test("watches ask for bookmarks", () => {
  const watches = h.kube.requests.filter((r) => r.query.includes("watch=true"));
  assert.ok(watches.length >= 5);
  assert.ok(watches.every((r) => r.query.includes("allowWatchBookmarks=true")));
});

test("a cut watch reconnects and relists after 410: changes made meanwhile converge", async () => {
  const gone = h.kube.put("pods", pod("to-vanish", { aadpodidbinding: "web" }));
  await h.events.waitFor((b) => b.op === "upsert" && (b.object as { metadata: { name: string } }).metadata.name === "to-vanish");
  // Network cut; while disconnected a pod appears, another vanishes, and history is compacted.
  h.kube.dropWatches();
  h.kube.put("pods", pod("while-away", { aadpodidbinding: "web" }));
  h.kube.remove("pods", "shop", "to-vanish");
  h.kube.compact();
  await h.events.waitFor((b) => b.op === "upsert" && (b.object as { metadata: { name: string } }).metadata.name === "while-away", 8000, "missed add after relist");
  const del = await h.events.waitFor((b) => b.op === "delete" && (b.object as { metadata: { name: string } }).metadata.name === "to-vanish", 8000, "missed delete after relist");
  assert.match(String(del.messageId), new RegExp(`^Pod/${gone.metadata.uid}/`));
  await waitFor(() => h.kube.watchCount() >= 5, 5000, "all watches back");
});

test("an ERROR 410 event on a live watch (watch cache reset) relists and keeps flowing", async () => {
  h.kube.expireWatches();
  await waitFor(() => h.kube.watchCount() >= 5, 5000, "watches back");
  h.kube.put("azureidentities", { metadata: { name: "after-expire", namespace: "shop" }, spec: { type: 0, clientID: "c2", resourceID: "/y" } });
  const m = await h.events.waitFor((b) => b.kind === "AzureIdentity" && (b.object as { metadata: { name: string } }).metadata.name === "after-expire");
  assert.equal(m.sessionId, CLUSTER);
});

test("a cleanly closed watch resumes from its resourceVersion", async () => {
  const before = h.kube.requests.filter((r) => r.query.includes("watch=true")).length;
  h.kube.closeWatches();
  await waitFor(() => h.kube.watchCount() >= 5, 5000, "watches back");
  h.kube.put("nodes", { metadata: { name: "n-late" }, spec: { providerID: "azure:///x/n-late" } });
  await h.events.waitFor((b) => b.kind === "Node" && (b.object as { metadata: { name: string } }).metadata.name === "n-late");
  assert.ok(h.kube.requests.filter((r) => r.query.includes("watch=true")).length > before);
});

test("resync: a requested snapshot carries the current state", async () => {
  const before = h.events.bodies().filter((b) => b.kind === "Snapshot" && b.part === 1).length;
  fwd.forwarder.requestSnapshot();
  await waitFor(() => h.events.bodies().filter((b) => b.kind === "Snapshot" && b.part === 1).length > before, 8000, "second snapshot");
  const ids = new Set(h.events.bodies().filter((b) => b.kind === "Snapshot").map((b) => b.snapshotId));
  assert.equal(ids.size, before + 1, "snapshot ids are unique per run and sequence");
});
