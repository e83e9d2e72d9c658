import assert from "node:assert/strict";
import { test } from "node:test";
import { checkHostTokenCaller, lookupPod, normaliseIp } from "../../../nmi/rules/pod-lookup.ts";
import { NmiStore } from "../../../nmi/state/store.ts";
import { assigned, binding, identity, pod } from "../../helpers/nmi-fixtures.ts";

test("caller → pod decision table", () => {
  const p1 = pod("p1", { ip: "10.0.0.1" });
  const p2 = pod("p2", { ip: "10.0.0.1" });
  const table: Array<[string, Parameters<typeof lookupPod>[0], string, boolean?]> = [
    ["one pod", { ip: "10.0.0.1", synced: true, pods: [p1], hostNetworkIp: false }, "pod-found"],
    ["no pod yet", { ip: "10.0.0.2", synced: true, pods: [], hostNetworkIp: false }, "no-pod-with-ip", true],
    ["two pods share the IP", { ip: "10.0.0.1", synced: true, pods: [p1, p2], hostNetworkIp: false }, "ip-shared-by-pods", true],
    ["loopback is the node", { ip: "127.0.0.1", synced: true, pods: [p1], hostNetworkIp: false }, "caller-is-node", false],
    ["::1 is the node", { ip: "::1", synced: true, pods: [], hostNetworkIp: false }, "caller-is-node", false],
    ["host-network IP", { ip: "10.1.0.4", synced: true, pods: [], hostNetworkIp: true }, "caller-is-host-network", false],
    ["not synced", { ip: "10.0.0.1", synced: false, pods: [p1], hostNetworkIp: false }, "informers-not-synced", true],
    ["no address", { ip: "", synced: true, pods: [], hostNetworkIp: false }, "no-remote-address", false],
  ];
  for (const [name, input, reason, transient] of table) {
    const d = lookupPod(input);
    assert.equal(d.reason, reason, name);
    if (!d.ok) assert.equal(d.transient, transient, name);
  }
});

test("normaliseIp strips the IPv4-mapped prefix", () => {
  assert.equal(normaliseIp("::ffff:127.0.0.5"), "127.0.0.5");
  assert.equal(normaliseIp("fd00::1"), "fd00::1");
  assert.equal(normaliseIp(undefined), "");
});

test("/host/token/ only from loopback, with both headers", () => {
  assert.equal(checkHostTokenCaller("127.0.0.1", "ns", "p").reason, "host-caller");
  assert.equal(checkHostTokenCaller("127.0.0.7", "ns", "p").reason, "caller-not-loopback");
  assert.equal(checkHostTokenCaller("10.0.0.1", "ns", "p").reason, "caller-not-loopback");
  assert.equal(checkHostTokenCaller("127.0.0.1", undefined, "p").reason, "pod-headers-missing");
  assert.equal(checkHostTokenCaller("127.0.0.1", ["a", "b"], "p").reason, "pod-headers-missing");
});

test("store: pods indexed by IP only while active and not host-network", () => {
  const store = new NmiStore(["pods"]);
  store.upsert("pods", pod("p1", { ip: "10.0.0.1" }));
  store.upsert("pods", pod("h", { ip: "10.1.0.4", hostNetwork: true }));
  store.upsert("pods", pod("done", { ip: "10.0.0.3", phase: "Succeeded" }));
  store.upsert("pods", pod("bye", { ip: "10.0.0.4", deleting: true }));
  assert.deepEqual(store.podsByIp("10.0.0.1").map((p) => p.metadata.name), ["p1"]);
  assert.deepEqual(store.podsByIp("10.1.0.4"), []);
  assert.equal(store.isHostNetworkIp("10.1.0.4"), true);
  assert.deepEqual(store.podsByIp("10.0.0.3"), []);
  assert.deepEqual(store.podsByIp("10.0.0.4"), []);
  // IP moves: old mapping removed on update
  store.upsert("pods", pod("p1", { ip: "10.0.0.9" }));
  assert.deepEqual(store.podsByIp("10.0.0.1"), []);
  assert.equal(store.podsByIp("10.0.0.9").length, 1);
  store.upsert("pods", pod("p2", { ip: "10.0.0.9" }));
  assert.equal(store.podsByIp("10.0.0.9").length, 2);
  store.remove("pods", "default", "p2");
  assert.equal(store.podsByIp("10.0.0.9").length, 1);
  assert.equal(store.synced(), false);
  store.markSynced("pods");
  assert.equal(store.synced(), true);
});

test("store: changed() resolves on the next change", async () => {
  const store = new NmiStore(["pods"]);
  const v = store.version;
  let woke = false;
  const p = store.changed(v).then(() => (woke = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(woke, false);
  store.upsert("pods", pod("x", { ip: "10.0.0.1" }));
  await p;
  assert.equal(woke, true);
  await store.changed(v); // already stale → immediate
});

test("store: assignments indexed by pod, bindings by selector, kept right across updates", () => {
  const store = new NmiStore([]);
  const p = pod("p", { ip: "10.0.0.1", label: "s1" });
  const id = identity("i");
  store.upsert("assigned", assigned(p, id));
  store.upsert("bindings", binding("b", "i", "s1"));
  assert.equal(store.assignedForPod("default", "p").length, 1);
  assert.equal(store.bindingsForSelector("s1").length, 1);
  store.upsert("bindings", binding("b", "i", "s2"));
  assert.equal(store.bindingsForSelector("s1").length, 0);
  assert.equal(store.bindingsForSelector("s2").length, 1);
  store.remove("assigned", "default", "p-default-i");
  assert.equal(store.assignedForPod("default", "p").length, 0);
});

test("store: a waiter whose signal aborts is dropped at once (nothing lingers on a quiet store)", async () => {
  const store = new NmiStore(["pods"]);
  const ac = new AbortController();
  const p = store.changed(store.version, ac.signal);
  assert.equal(store.waiting, 1);
  ac.abort();
  await p;
  assert.equal(store.waiting, 0);
  // and a change wakes and clears every waiter
  const a = store.changed(store.version);
  const b = store.changed(store.version, new AbortController().signal);
  assert.equal(store.waiting, 2);
  store.upsert("pods", pod("y", { ip: "10.0.0.2" }));
  await Promise.all([a, b]);
  assert.equal(store.waiting, 0);
});
