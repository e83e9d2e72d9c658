// Host-level behaviour over several reconciles against a fake ARM: the rules that decide when an
// identity is added to or removed from a scale set or VM.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  changedHosts, desiredAssignments, desiredHostIdentities, type ClusterState,
} from "../../../functions/mic/planner/index.ts";
import {
  binding, identity, pod, reconcileAll, settings, uaiId, vmId, vmNode, vmssId, vmssNode, type FakeHost,
} from "../../helpers/mic-fixtures.ts";

const key = (id: string) => id.toLowerCase();
const lower = (ids: string[]) => ids.map((i) => i.toLowerCase()).sort();
const hostsFor = (...ids: string[]) => new Map<string, FakeHost>(ids.map((id) => [key(id), { type: "SystemAssigned", ids: [], podidAssigned: [] }]));

const pools: ClusterState["nodes"] = [vmssNode("a0", "poolA", 0), vmssNode("a1", "poolA", 1), vmssNode("b0", "poolB", 0), vmNode("vm1")];
const ids = [identity("default", "web"), identity("default", "jobs"), identity("default", "sp", { type: 1, resourceID: "" })];
const binds = [binding("default", "web", "web", "web"), binding("default", "jobs", "jobs", "jobs"), binding("default", "sp", "sp", "sp")];
const cluster = (pods: ClusterState["pods"], over: Partial<ClusterState> = {}): ClusterState => ({ nodes: pools, identities: ids, bindings: binds, pods, ...over });

test("desiredHostIdentities merges a scale set's nodes, keeps VMs apart, lists empty hosts", () => {
  const state = cluster([pod("d", "w1", "a0", "web"), pod("d", "w2", "a1", "web"), pod("d", "j1", "a1", "jobs"), pod("d", "s1", "vm1", "sp")]);
  const { assignments } = desiredAssignments(state, settings());
  const r = desiredHostIdentities(assignments, state.nodes);
  assert.deepEqual(r.hosts.map((h) => [h.hostId, h.kind, h.nodes, h.identityIds]), [
    [vmId("vm1"), "vm", ["vm1"], []],
    [vmssId("poolA"), "vmss", ["a0", "a1"], [uaiId("jobs"), uaiId("web")]],
    [vmssId("poolB"), "vmss", ["b0"], []],
  ]);
  const poolA = r.hosts[1]!;
  assert.deepEqual(poolA.assignments, ["default/j1-d-jobs", "default/w1-d-web", "default/w2-d-web"]);
  assert.deepEqual(poolA.assignmentsByIdentity[key(uaiId("web"))], ["default/w1-d-web", "default/w2-d-web"]);
  assert.equal(r.assignmentHost["default/s1-d-sp"], key(vmId("vm1")));
  assert.deepEqual(r.hosts[0]!.assignments, ["default/s1-d-sp"]); // type 1: an AAI, no identity
});

test("identity ids differing only in case are one identity on the host", () => {
  const state = cluster([pod("d", "w1", "a0", "web"), pod("d", "x1", "a1", "upper")], {
    identities: [...ids, identity("default", "upper", { resourceID: uaiId("web").toUpperCase().replace("/SUBSCRIPTIONS/", "/subscriptions/") })],
    bindings: [...binds, binding("default", "upper", "upper", "upper")],
  });
  const r = desiredHostIdentities(desiredAssignments(state, settings()).assignments, state.nodes);
  const poolA = r.hosts.find((h) => h.name === "poolA")!;
  assert.deepEqual(poolA.identityIds, [uaiId("web")]);
  assert.equal(poolA.assignmentsByIdentity[key(uaiId("web"))]?.length, 2);
});

test("a scale set shared by pods on several nodes keeps the identity until the last pod goes", () => {
  const s = settings();
  const hosts = hostsFor(vmssId("poolA"));
  const arm = hosts.get(key(vmssId("poolA")))!;
  reconcileAll(cluster([pod("d", "w1", "a0", "web"), pod("d", "w2", "a1", "web")]), s, hosts);
  assert.deepEqual(lower(arm.ids), [key(uaiId("web"))]);
  assert.equal(arm.type, "SystemAssigned, UserAssigned");
  const p1 = reconcileAll(cluster([pod("d", "w2", "a1", "web")]), s, hosts); // w1 (node a0) gone
  assert.equal(p1.get(key(vmssId("poolA")))!.patches.length, 0);
  assert.deepEqual(lower(arm.ids), [key(uaiId("web"))]);
  const p2 = reconcileAll(cluster([]), s, hosts); // last pod gone
  assert.deepEqual(p2.get(key(vmssId("poolA")))!.patches, [{ identity: { type: "SystemAssigned" } }]);
  assert.deepEqual(arm.ids, []);
  assert.deepEqual(arm.podidAssigned, []);
});

test("pre-existing and immutable identities are never removed", () => {
  const kubelet = uaiId("kubelet", "MC_rg");
  const s = settings({ immutableIdentities: [uaiId("jobs")] });
  const hosts = new Map<string, FakeHost>([[key(vmssId("poolA")), { type: "UserAssigned", ids: [kubelet], podidAssigned: [] }]]);
  const arm = hosts.get(key(vmssId("poolA")))!;
  reconcileAll(cluster([pod("d", "w1", "a0", "web"), pod("d", "j1", "a0", "jobs")]), s, hosts);
  assert.deepEqual(lower(arm.ids), lower([kubelet, uaiId("web"), uaiId("jobs")]));
  const plans = reconcileAll(cluster([]), s, hosts);
  assert.deepEqual(lower(arm.ids), lower([kubelet, uaiId("jobs")]));
  assert.equal(arm.type, "UserAssigned");
  assert.deepEqual(plans.get(key(vmssId("poolA")))!.skipped.map((x) => [x.reason, key(x.id)]), [["immutable", key(uaiId("jobs"))]]);
});

test("identity changed in place: old resourceID removed, new one added", () => {
  const s = settings();
  const hosts = hostsFor(vmssId("poolA"));
  const arm = hosts.get(key(vmssId("poolA")))!;
  const pods = [pod("d", "w1", "a0", "web")];
  reconcileAll(cluster(pods), s, hosts);
  const moved = [identity("default", "web", { resourceID: uaiId("web-v2"), rv: "2" }), ...ids.slice(1)];
  const plan = reconcileAll(cluster(pods, { identities: moved }), s, hosts).get(key(vmssId("poolA")))!;
  assert.deepEqual([plan.adds, lower(plan.removes)], [[uaiId("web-v2")], [key(uaiId("web"))]]);
  assert.deepEqual(plan.patches, [{ identity: { type: "SystemAssigned, UserAssigned", userAssignedIdentities: { [uaiId("web-v2")]: {}, [key(uaiId("web"))]: null } } }]);
  assert.deepEqual(lower(arm.ids), [key(uaiId("web-v2"))]);
});

test("node deleted: its pods' identities leave the host; the scale set's other nodes keep theirs", () => {
  const s = settings();
  const hosts = hostsFor(vmssId("poolA"));
  const arm = hosts.get(key(vmssId("poolA")))!;
  const pods = [pod("d", "w1", "a0", "web"), pod("d", "j1", "a1", "jobs")];
  reconcileAll(cluster(pods), s, hosts);
  assert.equal(arm.ids.length, 2);
  reconcileAll(cluster(pods, { nodes: pools.filter((n) => n.metadata.name !== "a1") }), s, hosts);
  assert.deepEqual(lower(arm.ids), [key(uaiId("web"))]);
});

test("pod moved to a node of another scale set: added there, removed from the old one", () => {
  const s = settings();
  const hosts = hostsFor(vmssId("poolA"), vmssId("poolB"));
  reconcileAll(cluster([pod("d", "w1", "a0", "web")]), s, hosts);
  reconcileAll(cluster([pod("d", "w1", "b0", "web", { rv: "2" })]), s, hosts);
  assert.deepEqual(hosts.get(key(vmssId("poolA")))!.ids, []);
  assert.deepEqual(lower(hosts.get(key(vmssId("poolB")))!.ids), [key(uaiId("web"))]);
});

test("changedHosts: only hosts whose desired identities or assignments differ", () => {
  const s = settings();
  const before = cluster([pod("d", "w1", "a0", "web"), pod("d", "s1", "vm1", "sp")]);
  const cases: Array<[string, ClusterState, string[]]> = [
    ["same state", before, []],
    ["second pod, same identity, same scale set (new AAI)", cluster([...before.pods, pod("d", "w2", "a1", "web")]), [key(vmssId("poolA"))]],
    ["pod moved to poolB", cluster([pod("d", "w1", "b0", "web"), before.pods[1]!]), [key(vmssId("poolA")), key(vmssId("poolB"))]],
    ["service-principal pod gone", cluster([before.pods[0]!]), [key(vmId("vm1"))]],
    ["unrelated node added", cluster(before.pods, { nodes: [...pools, vmssNode("c0", "poolC", 0)] }), []],
    ["identity resourceID changed", cluster(before.pods, { identities: [identity("default", "web", { resourceID: uaiId("v2") }), ...ids.slice(1)] }), [key(vmssId("poolA"))]],
    ["pod label value unchanged but pod rv bumped", cluster([pod("d", "w1", "a0", "web", { rv: "9" }), before.pods[1]!]), []],
  ];
  for (const [name, after, expected] of cases) {
    assert.deepEqual(changedHosts(before, after, s).map((h) => h.hostKey), expected, name);
  }
  assert.equal(changedHosts(before, cluster([]), s).find((h) => h.hostKey === key(vmssId("poolA")))?.hostId, vmssId("poolA"));
});
