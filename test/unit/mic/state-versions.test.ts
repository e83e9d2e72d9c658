import assert from "node:assert/strict";
import { test } from "node:test";
import {
  compareResourceVersions, createMemoryStateStore, decideDelete, decideUpsert, MemoryRowBackend, RowConflictError, RowTooLargeError,
} from "../../../functions/mic/state/index.ts";
import { binding, identity, pod, vmssId, vmssNode } from "../../helpers/mic-fixtures.ts";
import { remove, upsert } from "../../helpers/mic-events.ts";

test("resourceVersion comparison: decimal as integers, anything else only equal or unordered", () => {
  const cases: Array<[string | undefined, string | undefined, -1 | 0 | 1 | undefined]> = [
    ["10", "9", 1], ["9", "10", -1], ["10", "10", 0], ["18446744073709551616", "18446744073709551615", 1],
    ["abc", "abc", 0], ["abc", "abd", undefined], ["10", "x", undefined], [undefined, "1", undefined], [undefined, undefined, undefined],
  ];
  for (const [a, b, want] of cases) assert.equal(compareResourceVersions(a, b), want, `${a} vs ${b}`);
});

test("upsert/delete decisions (table)", () => {
  const live = (uid: string, rv?: string, json = "{}") => ({ uid, resourceVersion: rv, deleted: false, json });
  const tomb = (uid: string, rv?: string) => ({ uid, resourceVersion: rv, deleted: true });
  const inc = (uid: string | undefined, rv?: string, json = "{}") => ({ uid, resourceVersion: rv, json });
  const cases: Array<[string, ReturnType<typeof decideUpsert>, boolean, string]> = [
    ["nothing stored", decideUpsert(undefined, inc("u", "1")), true, "new"],
    ["newer rv", decideUpsert(live("u", "1"), inc("u", "2")), true, "newer"],
    ["same rv", decideUpsert(live("u", "2"), inc("u", "2", "{\"x\":1}")), false, "duplicate"],
    ["older rv", decideUpsert(live("u", "3"), inc("u", "2")), false, "stale"],
    ["opaque rv, same content", decideUpsert(live("u", "a"), inc("u", "b")), false, "duplicate"],
    ["opaque rv, new content", decideUpsert(live("u", "a"), inc("u", "b", "{\"x\":1}")), true, "changed"],
    ["no rv, new content", decideUpsert(live("u"), inc("u", undefined, "{\"x\":1}")), true, "changed"],
    ["opaque rv, other uid", decideUpsert(live("u", "a"), inc("v", "b")), true, "recreated"],
    ["tombstone, same uid, higher rv", decideUpsert(tomb("u", "5"), inc("u", "9")), false, "deleted"],
    ["tombstone, no uid", decideUpsert(tomb("u", "5"), inc(undefined, "9")), false, "deleted"],
    ["tombstone, new uid, newer", decideUpsert(tomb("u", "5"), inc("v", "6")), true, "recreated"],
    ["tombstone, new uid, older", decideUpsert(tomb("u", "5"), inc("v", "4")), false, "stale"],
    ["delete of nothing", decideDelete(undefined, { uid: "u", resourceVersion: "1" }), true, "new"],
    ["delete twice", decideDelete(tomb("u", "5"), { uid: "u", resourceVersion: "5" }), false, "duplicate"],
    ["delete with older rv, same uid", decideDelete(live("u", "5"), { uid: "u", resourceVersion: "3" }), true, "newer"],
    ["delete of an older incarnation", decideDelete(live("v", "9"), { uid: "u", resourceVersion: "5" }), false, "stale"],
  ];
  for (const [name, d, apply, reason] of cases) assert.deepEqual([d.apply, d.reason], [apply, reason], name);
});

test("memory backend enforces Tables' batch, etag and size rules", async () => {
  const b = new MemoryRowBackend();
  await b.commit("c", [{ op: "create", rowKey: "x|1", props: { a: 1 } }]);
  await assert.rejects(b.commit("c", [{ op: "create", rowKey: "x|1", props: {} }]), (e) => e instanceof RowConflictError && e.status === 409);
  await assert.rejects(b.commit("c", [{ op: "replace", rowKey: "x|1", props: {}, etag: "nope" }]), (e) => e instanceof RowConflictError && e.status === 412);
  await assert.rejects(b.commit("c", [{ op: "upsert", rowKey: "x|2", props: {} }, { op: "delete", rowKey: "x|missing" }]), (e) => e instanceof RowConflictError && e.status === 404);
  assert.equal(await b.get("c", "x|2"), undefined); // all or nothing
  await assert.rejects(b.commit("c", [{ op: "upsert", rowKey: "x|3", props: { big: "z".repeat(40_000) } }]), RowTooLargeError);
  await assert.rejects(b.commit("c", Array.from({ length: 101 }, (_, i) => ({ op: "upsert" as const, rowKey: `x|${i}`, props: {} }))), /exceeds 100/);
  await assert.rejects(b.commit("c", [{ op: "upsert", rowKey: "x|a/b", props: {} }]), /forbidden/);
});

test("memory store: same ingest semantics (pod moved between scale sets bumps both hosts)", async () => {
  const store = createMemoryStateStore({ settings: { forceNamespaced: false } });
  const c = "mem";
  for (const e of [
    upsert(c, "Node", vmssNode("a0", "poolA", 0)),
    upsert(c, "Node", vmssNode("b0", "poolB", 0)),
    upsert(c, "AzureIdentity", identity("default", "web")),
    upsert(c, "AzureIdentityBinding", binding("default", "web", "web", "web")),
  ]) assert.deepEqual((await store.ingest(e)).affectedHosts, []);
  await store.ingest(upsert(c, "Pod", pod("d", "p", "a0", "web", { rv: "5" })));
  const moved = await store.ingest(upsert(c, "Pod", pod("d", "p", "b0", "web", { rv: "6" })));
  assert.deepEqual(moved.affectedHosts.map((h) => [h.hostId, h.generation]), [[vmssId("poolA"), 2], [vmssId("poolB"), 1]]);
  // Identity deleted: every host using it is affected; an exception never is.
  const gone = await store.ingest(remove(c, "AzureIdentity", identity("default", "web")));
  assert.deepEqual(gone.affectedHosts.map((h) => h.hostId), [vmssId("poolB")]);
  const exc = await store.ingest(upsert(c, "AzurePodIdentityException", { metadata: { name: "e", namespace: "d" }, spec: { podLabels: { a: "b" } } }));
  assert.deepEqual([exc.applied, exc.affectedHosts], [true, []]);
  assert.equal((await store.loadClusterState(c)).exceptions?.length, 1);
});
