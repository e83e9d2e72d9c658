import assert from "node:assert/strict";
import { test } from "node:test";
import type { AzureAssignedIdentity } from "../../../core/index.ts";
import { desiredAssignments, type ClusterState, type DiagnosticCode } from "../../../functions/mic/planner/index.ts";
import { binding, identity, pod, settings, uaiId, vmNode, vmssNode } from "../../helpers/mic-fixtures.ts";

const nodes = [vmssNode("n1", "pool1", 0), vmssNode("n2", "pool1", 1), vmNode("vm1")];
const base: ClusterState = {
  nodes,
  identities: [identity("default", "web-id"), identity("team", "sp-id", { type: 1, resourceID: "" })],
  bindings: [binding("default", "web-b", "web-id", "web"), binding("team", "sp-b", "sp-id", "sp")],
  pods: [],
};
const names = (aais: AzureAssignedIdentity[]) => aais.map((a) => `${a.metadata.namespace ?? ""}/${a.metadata.name}`);
const codes = (state: ClusterState, force = false): DiagnosticCode[] =>
  desiredAssignments(state, settings({ forceNamespaced: force })).diagnostics.map((d) => d.code);

test("desired AAI has upstream name, namespace, nodename label and trimmed refs", () => {
  const { assignments } = desiredAssignments({ ...base, pods: [pod("apps", "web-1", "n1", "web")] }, settings());
  assert.equal(assignments.length, 1);
  const aai = assignments[0]!;
  assert.equal(aai.metadata.name, "web-1-apps-web-id");
  assert.equal(aai.metadata.namespace, "default");
  assert.deepEqual(aai.metadata.labels, { nodename: "n1" });
  assert.equal(aai.kind, "AzureAssignedIdentity");
  assert.deepEqual(aai.spec.azureIdentityRef?.metadata, { name: "web-id", namespace: "default", uid: "uid-id-default-web-id", resourceVersion: "1" });
  assert.equal(aai.spec.azureIdentityRef?.spec.resourceID, uaiId("web-id"));
  assert.deepEqual(aai.spec.azureBindingRef?.spec, { azureIdentity: "web-id", selector: "web" });
  assert.deepEqual([aai.spec.pod, aai.spec.podNamespace, aai.spec.nodename], ["web-1", "apps", "n1"]);
  assert.equal(aai.status, undefined);
});

test("which pods get assignments (table)", () => {
  const cases: Array<{ name: string; pods: ClusterState["pods"]; expect: string[]; diag: DiagnosticCode[] }> = [
    { name: "running pod", pods: [pod("a", "p", "n1", "web")], expect: ["default/p-a-web-id"], diag: [] },
    { name: "pending pod with node", pods: [pod("a", "p", "n1", "web", { phase: "Pending" })], expect: ["default/p-a-web-id"], diag: [] },
    { name: "no phase yet", pods: [{ ...pod("a", "p", "n1", "web"), status: {} }], expect: ["default/p-a-web-id"], diag: [] },
    { name: "succeeded", pods: [pod("a", "p", "n1", "web", { phase: "Succeeded" })], expect: [], diag: ["pod-completed"] },
    { name: "failed", pods: [pod("a", "p", "n1", "web", { phase: "Failed" })], expect: [], diag: ["pod-completed"] },
    { name: "terminating", pods: [pod("a", "p", "n1", "web", { deleting: true })], expect: [], diag: ["pod-terminating"] },
    { name: "not scheduled", pods: [pod("a", "p", undefined, "web")], expect: [], diag: ["pod-not-scheduled"] },
    { name: "unknown node", pods: [pod("a", "p", "ghost", "web")], expect: [], diag: ["node-not-found"] },
    { name: "selector differs", pods: [pod("a", "p", "n1", "other")], expect: [], diag: [] },
    { name: "service principal identity", pods: [pod("a", "p", "vm1", "sp")], expect: ["default/p-a-sp-id"], diag: [] },
  ];
  for (const c of cases) {
    const state = { ...base, pods: c.pods };
    assert.deepEqual(names(desiredAssignments(state, settings()).assignments), c.expect, c.name);
    assert.deepEqual(codes(state), c.diag, c.name);
  }
});

test("node without a usable providerID is reported, not assigned", () => {
  const state: ClusterState = { ...base, nodes: [...nodes, { metadata: { name: "bare" }, spec: {} }, { metadata: { name: "aws" }, spec: { providerID: "aws:///eu-west-1a/i-1" } }], pods: [pod("a", "p", "bare", "web"), pod("a", "q", "aws", "web")] };
  const r = desiredAssignments(state, settings());
  assert.deepEqual(r.assignments, []);
  assert.deepEqual(r.diagnostics.map((d) => [d.code, d.node]), [["node-provider-id-invalid", "bare"], ["node-provider-id-invalid", "aws"]]);
});

test("type-0 identity with an invalid resourceID is dropped with a reason", () => {
  const state: ClusterState = {
    ...base,
    identities: [identity("default", "bad", { resourceID: "/subscriptions/x/resourceGroups/y/providers/Microsoft.Compute/virtualMachines/z" })],
    bindings: [binding("default", "b", "bad", "web")],
    pods: [pod("a", "p", "n1", "web")],
  };
  const r = desiredAssignments(state, settings());
  assert.deepEqual(r.assignments, []);
  assert.deepEqual(r.diagnostics.map((d) => d.code), ["identity-resource-id-invalid", "binding-rejected"]);
  assert.match(r.diagnostics[1]!.message, /identity-resource-id-invalid/);
});

test("namespaced mode: identity serves only its namespace; AAI lives there", () => {
  const state: ClusterState = {
    nodes,
    identities: [identity("team", "id1", { namespaced: true }), identity("default", "glob")],
    bindings: [binding("team", "b1", "id1", "s"), binding("default", "b2", "glob", "s")],
    pods: [pod("team", "p", "n1", "s"), pod("other", "q", "n1", "s")],
  };
  assert.deepEqual(names(desiredAssignments(state, settings()).assignments), ["default/p-team-glob", "default/q-other-glob", "team/p-team-id1"]);
  // forceNamespaced: the default/glob identity now only serves pods of `default`.
  const forced = desiredAssignments(state, settings({ forceNamespaced: true }));
  assert.deepEqual(names(forced.assignments), ["team/p-team-id1"]);
  assert.deepEqual(forced.diagnostics.map((d) => [d.code, d.pod]), [["binding-rejected", "other/q"], ["binding-rejected", "other/q"], ["binding-rejected", "team/p"]]);
});

test("AAI name collisions: first (pod, binding) in sorted order wins, with a warning", () => {
  const state: ClusterState = {
    nodes,
    // Same identity name in two namespaces, both non-namespaced: both AAIs would be default/p-a-id.
    identities: [identity("ns1", "id", { resourceID: uaiId("one") }), identity("ns2", "id", { resourceID: uaiId("two") })],
    bindings: [binding("ns2", "b", "id", "s"), binding("ns1", "b", "id", "s")],
    // and pod "x-y" in "z" vs pod "x" in "y-z" collide for identity "id" too.
    pods: [pod("a", "p", "n1", "s"), pod("y-z", "x", "n2", "s"), pod("z", "x-y", "n1", "s")],
  };
  const r = desiredAssignments(state, settings());
  assert.deepEqual(names(r.assignments), ["default/p-a-id", "default/x-y-z-id"]);
  assert.equal(r.assignments[0]!.spec.azureIdentityRef?.spec.resourceID, uaiId("one"));
  assert.equal(r.assignments[1]!.spec.pod, "x");
  const warnings = r.diagnostics.filter((d) => d.code === "assignment-name-collision");
  // p-a-id: ns2's binding loses; x-y-z-id: ns2's binding of y-z/x and both bindings of z/x-y lose.
  assert.equal(warnings.length, 4);
  assert.ok(warnings.every((w) => w.severity === "warning"));
});

test("over-long AAI names are dropped with a reason", () => {
  const long = "p".repeat(250);
  const r = desiredAssignments({ ...base, pods: [pod("a", long, "n1", "web")] }, settings());
  assert.deepEqual(r.assignments, []);
  assert.deepEqual(r.diagnostics.map((d) => d.code), ["assignment-name-too-long"]);
});
