import assert from "node:assert/strict";
import { test } from "node:test";
import { ASSIGNED_IDENTITY_FINALIZER, type AzureAssignedIdentity } from "../../../core/index.ts";
import { isSubset, planApply, planDelete } from "../../../forwarder/command-plan.ts";
import { aai } from "../../helpers/forwarder-fakes.ts";

const stored = (o: AzureAssignedIdentity, extra: Partial<AzureAssignedIdentity["metadata"]> = {}): AzureAssignedIdentity => ({
  ...o,
  metadata: { ...o.metadata, uid: "u", resourceVersion: "5", labels: { nodename: o.spec.nodename }, ...extra },
});

test("apply: missing → create with the nodename label, no status, no finalizer", () => {
  const step = planApply(aai("a", {}, "Assigned"), undefined);
  assert.equal(step.kind, "create");
  if (step.kind !== "create") return;
  assert.equal(step.body.apiVersion, "aadpodidentity.k8s.io/v1");
  assert.equal(step.body.kind, "AzureAssignedIdentity");
  assert.deepEqual(step.body.metadata, { name: "a", namespace: "default", labels: { nodename: "n1" } });
  assert.equal(step.body.status, undefined);
});

test("apply: status differs → status subresource update from the current object", () => {
  const step = planApply(aai("a", {}, "Assigned"), stored({ ...aai("a"), status: { status: "Created" } }));
  assert.equal(step.kind, "updateStatus");
  if (step.kind === "updateStatus") {
    assert.deepEqual(step.body.status, { status: "Assigned" });
    assert.equal(step.body.metadata.resourceVersion, "5");
  }
});

test("apply: a stale message is cleared when the desired status has none", () => {
  const step = planApply(aai("a", {}, "Assigned"), stored({ ...aai("a"), status: { status: "Failed", message: "quota" } }));
  assert.equal(step.kind, "updateStatus");
});

test("apply: spec or label drift → full update keeping foreign labels", () => {
  const cur = stored(aai("a"), { labels: { nodename: "n1", team: "x" } });
  const step = planApply(aai("a", { nodename: "n2" }, "Assigned"), cur);
  assert.equal(step.kind, "update");
  if (step.kind === "update") {
    assert.equal(step.body.spec.nodename, "n2");
    assert.deepEqual(step.body.metadata.labels, { nodename: "n2", team: "x" });
    assert.equal(step.body.metadata.resourceVersion, "5");
  }
});

test("apply: matching object (server defaults allowed) → done; no status in command → status untouched", () => {
  const cur = stored({ ...aai("a"), status: { status: "Assigned" } });
  cur.spec = { ...cur.spec, replicas: 1 }; // defaulted by the server
  assert.equal(planApply(aai("a", {}, "Assigned"), cur).kind, "done");
  assert.equal(planApply(aai("a"), cur).kind, "done");
});

test("apply: a terminating object with our finalizer is released first; with another's, wait", () => {
  const mine = stored(aai("a"), { deletionTimestamp: "2024-01-01T00:00:00Z", finalizers: [ASSIGNED_IDENTITY_FINALIZER] });
  const step = planApply(aai("a", {}, "Assigned"), mine);
  assert.equal(step.kind, "update");
  if (step.kind === "update") assert.deepEqual(step.body.metadata.finalizers, []);
  const theirs = stored(aai("a"), { deletionTimestamp: "2024-01-01T00:00:00Z", finalizers: ["other"] });
  assert.equal(planApply(aai("a", {}, "Assigned"), theirs).kind, "wait");
});

test("delete: gone → done; plain → delete; our finalizer → strip it first; terminating → done", () => {
  assert.equal(planDelete(undefined).kind, "done");
  assert.equal(planDelete(stored(aai("a"))).kind, "delete");
  const withFinalizer = planDelete(stored(aai("a"), { finalizers: [ASSIGNED_IDENTITY_FINALIZER, "keep"] }));
  assert.equal(withFinalizer.kind, "update");
  if (withFinalizer.kind === "update") assert.deepEqual(withFinalizer.body.metadata.finalizers, ["keep"]);
  assert.equal(planDelete(stored(aai("a"), { deletionTimestamp: "2024-01-01T00:00:00Z", finalizers: ["keep"] })).kind, "done");
});

test("isSubset: objects by key, arrays by position, primitives by value", () => {
  const cases: Array<[unknown, unknown, boolean]> = [
    [{ a: 1 }, { a: 1, b: 2 }, true],
    [{ a: 1, b: 2 }, { a: 1 }, false],
    [{ a: { b: [1, { c: 2 }] } }, { a: { b: [1, { c: 2, d: 3 }] } }, true],
    [[1, 2], [1, 2, 3], false],
    [{ a: undefined }, {}, true],
    ["x", "y", false],
    [{ a: 1 }, null, false],
  ];
  for (const [want, have, expected] of cases) assert.equal(isSubset(want, have), expected, JSON.stringify([want, have]));
});
