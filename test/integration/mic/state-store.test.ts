// ClusterStateStore on Azure Tables (real @azure/data-tables ↔ Azurite).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { TableClient } from "@azure/data-tables";
import {
  createClusterStateStore, RowConflictError, TablesRowBackend, type ClusterStateStore, type RowBackend,
} from "../../../functions/mic/state/index.ts";
import { startAzurite, type AzuriteHandle } from "../../../sandbox/azurite.ts";
import { binding, identity, pod, uaiId, vmssId, vmssNode } from "../../helpers/mic-fixtures.ts";
import { remove, snapshotParts, upsert } from "../../helpers/mic-events.ts";

let azurite: AzuriteHandle | undefined;
let backend: TablesRowBackend;
let store: ClusterStateStore;
const POOL = vmssId("pool1").toLowerCase();

before(async () => {
  azurite = await startAzurite();
  const client = TableClient.fromConnectionString(azurite.connectionString, "podidstate", { allowInsecureConnection: true });
  backend = new TablesRowBackend(client);
  await backend.ensureTable();
  store = createClusterStateStore(backend, { settings: { forceNamespaced: false } });
});
after(async () => azurite?.stop());

/** A cluster with one scale-set node, one identity and its binding. */
async function seed(cluster: string): Promise<void> {
  for (const e of [
    upsert(cluster, "Node", vmssNode("n1", "pool1", 0)),
    upsert(cluster, "AzureIdentity", identity("default", "web")),
    upsert(cluster, "AzureIdentityBinding", binding("default", "web", "web", "web")),
  ]) await store.ingest(e);
}

test("upsert and delete: state follows, the pod's host is bumped each time", async () => {
  const c = "upsert-delete";
  await seed(c);
  const r1 = await store.ingest(upsert(c, "Pod", pod("apps", "w1", "n1", "web", { rv: "10" })));
  assert.deepEqual([r1.applied, r1.reason, r1.affectedHosts], [true, "new", [{ hostKey: POOL, hostId: vmssId("pool1"), generation: 1 }]]);
  const state = await store.loadClusterState(c);
  assert.deepEqual([state.pods.length, state.nodes.length, state.identities.length, state.bindings.length], [1, 1, 1, 1]);
  assert.equal(state.pods[0]?.metadata.labels?.aadpodidbinding, "web");

  const r2 = await store.ingest(remove(c, "Pod", pod("apps", "w1", "n1", "web", { rv: "10" })));
  assert.deepEqual([r2.applied, r2.affectedHosts.map((h) => h.generation)], [true, [2]]);
  assert.equal((await store.loadClusterState(c)).pods.length, 0);
  const host = await store.getHostRecord(c, vmssId("pool1"));
  assert.deepEqual([host?.generation, host?.reconciledGeneration, host?.hostId], [2, 0, vmssId("pool1")]);
});

test("duplicate ingest of the same event is harmless: no second generation bump", async () => {
  const c = "duplicate";
  await seed(c);
  const event = upsert(c, "Pod", pod("apps", "w1", "n1", "web", { rv: "10" }));
  assert.equal((await store.ingest(event)).affectedHosts[0]?.generation, 1);
  const again = await store.ingest(event);
  assert.deepEqual([again.applied, again.reason, again.affectedHosts], [false, "duplicate", []]);
  assert.equal((await store.getHostRecord(c, POOL))?.generation, 1);
  // An update that does not change what the host needs (a label other than aadpodidbinding) bumps nothing.
  const relabelled = pod("apps", "w1", "n1", "web", { rv: "11" });
  relabelled.metadata.labels = { ...relabelled.metadata.labels, team: "x" };
  const r = await store.ingest(upsert(c, "Pod", relabelled));
  assert.deepEqual([r.applied, r.affectedHosts], [true, []]);
});

test("stale events are ignored, and delete-then-stale-upsert cannot revive an object", async () => {
  const c = "stale";
  await seed(c);
  await store.ingest(upsert(c, "Pod", pod("apps", "w1", "n1", "web", { rv: "20" })));
  const older = await store.ingest(upsert(c, "Pod", pod("apps", "w1", "n2", "web", { rv: "19" })));
  assert.deepEqual([older.applied, older.reason], [false, "stale"]);
  assert.equal((await store.loadClusterState(c)).pods[0]?.spec.nodeName, "n1");

  await store.ingest(remove(c, "Pod", pod("apps", "w1", "n1", "web", { rv: "20" })));
  const late = await store.ingest(upsert(c, "Pod", pod("apps", "w1", "n1", "web", { rv: "20" })));
  assert.deepEqual([late.applied, late.reason], [false, "deleted"]);
  const lateNewerRv = await store.ingest(upsert(c, "Pod", pod("apps", "w1", "n1", "web", { rv: "25" })));
  assert.deepEqual([lateNewerRv.applied, lateNewerRv.reason], [false, "deleted"]); // same uid: deletion is final
  assert.equal((await store.loadClusterState(c)).pods.length, 0);

  const recreated = pod("apps", "w1", "n1", "web", { rv: "30" });
  recreated.metadata.uid = "uid-second-incarnation";
  const r = await store.ingest(upsert(c, "Pod", recreated));
  assert.deepEqual([r.applied, r.reason], [true, "recreated"]);
  assert.equal((await store.loadClusterState(c)).pods[0]?.metadata.uid, "uid-second-incarnation");
});

test("a snapshot in 3 parts replaces the state once complete; missing objects are deleted", async () => {
  const c = "snapshot";
  await seed(c);
  await store.ingest(upsert(c, "Pod", pod("apps", "gone", "n1", "web", { rv: "5" })));
  await store.ingest(upsert(c, "Node", vmssNode("n-old", "pool9", 0)));
  const items = [
    { kind: "Node" as const, object: vmssNode("n1", "pool1", 0) },
    { kind: "Node" as const, object: vmssNode("n2", "pool2", 0) },
    { kind: "AzureIdentity" as const, object: identity("default", "web") },
    { kind: "AzureIdentityBinding" as const, object: binding("default", "web", "web", "web") },
    { kind: "Pod" as const, object: pod("apps", "kept", "n2", "web", { rv: "7" }) },
    { kind: "Pod" as const, object: pod("apps", "also", "n1", "web", { rv: "8" }) },
  ];
  const [p1, p2, p3] = snapshotParts(c, "snap-1", items, 3);
  const r1 = await store.ingest(p1!);
  assert.deepEqual([r1.reason, r1.snapshot?.received, r1.snapshot?.complete], ["snapshot-part-stored", 1, false]);
  // An event arriving mid-snapshot is newer than the listing: it must survive the replacement.
  await store.ingest(upsert(c, "Pod", pod("apps", "fresh", "n1", "web", { rv: "50" })));
  assert.equal((await store.ingest(p2!)).snapshot?.received, 2);
  assert.equal((await store.ingest(p2!)).snapshot?.received, 2); // duplicate part
  assert.equal((await store.loadClusterState(c)).pods.length, 2); // nothing applied yet
  const done = await store.ingest(p3!);
  assert.deepEqual([done.reason, done.snapshot?.complete, done.snapshot?.deletes], ["snapshot-applied", true, 2]);
  const state = await store.loadClusterState(c);
  assert.deepEqual(state.pods.map((p) => p.metadata.name).sort(), ["also", "fresh", "kept"]);
  assert.deepEqual(state.nodes.map((n) => n.metadata.name).sort(), ["n1", "n2"]);
  assert.deepEqual(done.affectedHosts.map((h) => h.hostKey), [POOL, vmssId("pool2").toLowerCase()]);
  assert.deepEqual(await backend.list(c, { prefix: "snap|" }), []); // parts dropped
  // The same snapshot again changes nothing and bumps nothing.
  const [q1, q2, q3] = snapshotParts(c, "snap-2", items, 3);
  await store.ingest(q1!);
  await store.ingest(q2!);
  const same = await store.ingest(q3!);
  // Only "fresh" differs: it predates snap-2's listing and is not in it, so it is gone now.
  assert.deepEqual([same.snapshot?.upserts, same.snapshot?.deletes, same.affectedHosts.map((h) => h.hostKey)], [0, 1, [POOL]]);
});

test("generation counters and markReconciled: only forward, etag-guarded against races", async () => {
  const c = "generations";
  const ref = { hostKey: POOL, hostId: vmssId("pool1") };
  for (let i = 0; i < 5; i++) await store.bumpGenerations(c, [ref]);
  assert.equal((await store.getHostRecord(c, POOL))?.generation, 5);

  const older = { at: "2024-01-01T00:00:03Z", error: { code: "Throttled", message: "429", at: "2024-01-01T00:00:03Z" } };
  const newer = { at: "2024-01-01T00:00:05Z", podidAssigned: [uaiId("web")] };
  for (let round = 0; round < 5; round++) {
    const [a, b] = await Promise.all([store.markReconciled(c, ref, 3, older), store.markReconciled(c, ref, 5, newer)]);
    const rec = await store.getHostRecord(c, POOL);
    assert.deepEqual([rec?.reconciledGeneration, rec?.lastReconciledAt, rec?.lastError, rec?.podidAssigned], [5, newer.at, null, [uaiId("web")]], `round ${round}`);
    assert.equal(b.record.reconciledGeneration, 5);
    if (a.updated) assert.equal(round, 0); // generation 3 can only ever land before 5 did
  }
  assert.equal((await store.markReconciled(c, ref, 4, older)).updated, false);

  // The guard itself: a write with a stale etag is refused by the service.
  const row = await backend.get(c, "host|" + encodeURIComponent(POOL));
  assert.ok(row);
  await store.bumpGenerations(c, [ref]);
  await assert.rejects(backend.commit(c, [{ op: "replace", rowKey: row.rowKey, props: row.props, etag: row.etag }]), (e) => e instanceof RowConflictError && e.status === 412);
  const after = await store.getHostRecord(c, POOL);
  assert.deepEqual([after?.generation, after?.reconciledGeneration], [6, 5]);
  // markReconciled never claims a generation that was not issued.
  assert.equal((await store.markReconciled(c, ref, 99, newer)).record.reconciledGeneration, 6);
  assert.deepEqual((await store.listHosts(c)).map((h) => h.hostKey), [POOL]);
});

test("podidAssigned: add/remove case-insensitively, and hundreds of ids stay within row limits", async () => {
  const c = "podid-assigned";
  const ref = { hostKey: POOL, hostId: vmssId("pool1") };
  const many = Array.from({ length: 400 }, (_, i) => uaiId(`identity-with-a-long-name-${String(i).padStart(4, "0")}`));
  await store.recordPodidAssigned(c, ref, { add: many });
  const rec = await store.recordPodidAssigned(c, vmssId("pool1").toUpperCase().replace("/SUBSCRIPTIONS/", "/subscriptions/"), { remove: [many[0]!.toLowerCase()], add: [many[1]!.toUpperCase()] });
  assert.equal(rec.podidAssigned.length, 399);
  assert.equal(rec.podidAssigned[0], many[1]);
  assert.ok(JSON.stringify(rec.podidAssigned).length > 40_000); // more than one property can hold
});

test("keys with characters Tables forbids (/ \\ # ?) and large objects round-trip", async () => {
  const c = "odd-keys";
  const oddVmss = "pool#1?x";
  const node = vmssNode("node/with\\odd#chars?%|end", oddVmss, 0);
  const big = pod("ns#?", "p/1\\x", node.metadata.name, "web", { rv: "3" });
  big.metadata.labels = { ...big.metadata.labels, ...Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`label-${i}`, "v".repeat(60)])) };
  for (const e of [
    upsert(c, "Node", node),
    upsert(c, "AzureIdentity", identity("default", "web")),
    upsert(c, "AzureIdentityBinding", binding("default", "web", "web", "web")),
  ]) await store.ingest(e);
  const r = await store.ingest(upsert(c, "Pod", big));
  const hostKey = vmssId(oddVmss).toLowerCase();
  assert.deepEqual(r.affectedHosts.map((h) => h.hostKey), [hostKey]);
  const state = await store.loadClusterState(c);
  assert.deepEqual(state.nodes[0], node);
  assert.deepEqual(state.pods[0], big);
  assert.equal((await store.getHostRecord(c, hostKey))?.hostId, vmssId(oddVmss));
  // A node event finds the pods on that node by a filter on the (odd) node name.
  const movedNode = vmssNode(node.metadata.name, "pool2", 0);
  movedNode.metadata.resourceVersion = "2";
  const moved = await store.ingest(upsert(c, "Node", movedNode));
  assert.deepEqual(moved.affectedHosts.map((h) => h.hostKey).sort(), [hostKey, vmssId("pool2").toLowerCase()].sort());
  await store.recordPublished(c, [{ key: "ns#?/a/b", namespace: "ns#?", name: "a/b", hostKey, status: "Assigned", fingerprint: "f" }]);
  assert.deepEqual((await store.listPublished(c, hostKey)).map((p) => p.key), ["ns#?/a/b"]);
  assert.deepEqual(await store.removePublished(c, "someone-else", ["ns#?/a/b"]), []);
  assert.deepEqual(await store.removePublished(c, hostKey, ["ns#?/a/b"]), ["ns#?/a/b"]);
  assert.deepEqual(await store.listPublished(c), []);
});

/** Fails the first batch that writes a host row: a crash between the state write and the bump. */
class CrashBeforeBump implements RowBackend {
  armed = true;
  constructor(private readonly inner: RowBackend) {}
  get: RowBackend["get"] = (p, k) => this.inner.get(p, k);
  list: RowBackend["list"] = (p, q) => this.inner.list(p, q);
  commit: RowBackend["commit"] = async (p, ops) => {
    if (this.armed && ops.some((o) => o.rowKey.startsWith("host|"))) {
      this.armed = false;
      throw new Error("simulated crash");
    }
    return this.inner.commit(p, ops);
  };
}

test("no lost update: a crash after the state write still bumps the host on redelivery", async () => {
  const c = "crash";
  await seed(c);
  const crashing = new CrashBeforeBump(backend);
  const fragile = createClusterStateStore(crashing, { settings: { forceNamespaced: false } });
  const event = upsert(c, "Pod", pod("apps", "w1", "n1", "web", { rv: "10" }));
  await assert.rejects(fragile.ingest(event), /simulated crash/);
  assert.equal(await fragile.getHostRecord(c, POOL), undefined);
  const redelivered = await fragile.ingest(event);
  assert.deepEqual([redelivered.applied, redelivered.reason], [false, "duplicate"]);
  assert.deepEqual(redelivered.affectedHosts, [{ hostKey: POOL, hostId: vmssId("pool1"), generation: 1 }]);
  assert.deepEqual((await fragile.ingest(event)).affectedHosts, []); // finished: nothing left over
});

test("a large snapshot is applied in several transactions and then replaced wholesale", async () => {
  const c = "big-snapshot";
  const base = [
    { kind: "Node" as const, object: vmssNode("n1", "pool1", 0) },
    { kind: "AzureIdentity" as const, object: identity("default", "web") },
    { kind: "AzureIdentityBinding" as const, object: binding("default", "web", "web", "web") },
  ];
  const pods = Array.from({ length: 250 }, (_, i) => ({ kind: "Pod" as const, object: pod("apps", `w-${i}`, "n1", "web") }));
  const parts = snapshotParts(c, "s1", [...base, ...pods], 2);
  await store.ingest(parts[0]!);
  const r = await store.ingest(parts[1]!);
  assert.deepEqual([r.snapshot?.upserts, r.affectedHosts.map((h) => h.generation)], [253, [1]]);
  assert.equal((await store.loadClusterState(c)).pods.length, 250);
  const empty = snapshotParts(c, "s2", base, 1);
  const r2 = await store.ingest(empty[0]!);
  assert.deepEqual([r2.snapshot?.deletes, (await store.loadClusterState(c)).pods.length], [250, 0]);
});
