import assert from "node:assert/strict";
import { test } from "node:test";
import {
  assignmentFingerprint, assignmentStatuses, desiredAssignments, podidAssignedAfterVerify, podidAssignedBeforePatch,
  type PublishedAssignment,
} from "../../../functions/mic/planner/index.ts";
import { binding, identity, pod, settings, uaiId, vmssNode } from "../../helpers/mic-fixtures.ts";

const state = {
  nodes: [vmssNode("n1", "pool", 0)],
  identities: [identity("default", "ok"), identity("default", "bad"), identity("default", "slow"), identity("default", "sp", { type: 1 as const, resourceID: "" })],
  bindings: ["ok", "bad", "slow", "sp"].map((n) => binding("default", n, n, n)),
  pods: [pod("d", "p1", "n1", "ok"), pod("d", "p2", "n1", "bad"), pod("d", "p3", "n1", "slow"), pod("d", "p4", "n1", "sp")],
};
const desired = desiredAssignments(state, settings()).assignments;
const published = (key: string, status: string, fingerprint: string, message?: string): PublishedAssignment => {
  const [namespace = "", name = ""] = key.split("/");
  return { key, namespace, name, hostKey: "h", status, fingerprint, ...(message === undefined ? {} : { message }) };
};

test("statuses after verify: present → Assigned, refused → Failed with reason, else Created; SP always Assigned", () => {
  const r = assignmentStatuses(desired, [uaiId("ok").toLowerCase()], [{ id: uaiId("bad"), reason: "FailedIdentityOperation", message: "not found" }]);
  assert.deepEqual(r.statuses.map((s) => [s.key, s.status, s.message]), [
    ["default/p1-d-ok", "Assigned", undefined],
    ["default/p2-d-bad", "Failed", "FailedIdentityOperation: not found"],
    ["default/p3-d-slow", "Created", undefined],
    ["default/p4-d-sp", "Assigned", undefined],
  ]);
  assert.deepEqual(r.counts, { assigned: 2, failed: 1, created: 1 });
  assert.deepEqual(r.statuses[1]!.assignedIdentity.status, { status: "Failed", message: "FailedIdentityOperation: not found" });
  assert.equal(r.toApply.length, 4);
});

test("host-level failure fails every missing type-0 assignment; a null GET leaves them Created", () => {
  const failed = assignmentStatuses(desired, [uaiId("ok")], [], { hostFailure: { id: "", reason: "AuthorizationFailed" } });
  assert.deepEqual(failed.statuses.map((s) => s.status), ["Assigned", "Failed", "Failed", "Assigned"]);
  const unknown = assignmentStatuses(desired, null, []);
  assert.deepEqual(unknown.statuses.map((s) => s.status), ["Created", "Created", "Created", "Assigned"]);
});

test("only changes are re-published; published AAIs no longer desired (here or elsewhere) are deleted", () => {
  const first = assignmentStatuses(desired, [uaiId("ok"), uaiId("bad"), uaiId("slow")], []);
  const pub = first.statuses.map((s) => published(s.key, s.status, s.fingerprint));
  pub[2] = published("default/p3-d-slow", "Created", first.statuses[2]!.fingerprint);
  const gone = published("default/old-d-ok", "Assigned", "x");
  const moved = published("default/moved-d-ok", "Assigned", "y");
  const r = assignmentStatuses(desired, [uaiId("ok"), uaiId("bad"), uaiId("slow")], [], { published: [...pub, gone, moved], desiredElsewhere: ["default/moved-d-ok"] });
  assert.deepEqual(r.toApply.map((a) => a.metadata.name), ["p3-d-slow"]);
  assert.deepEqual(r.toDelete.map((p) => p.key), ["default/old-d-ok"]);
  // content change (identity resourceVersion bumped) → re-published even with the same status
  const changed = desired.map((a) => structuredClone(a));
  changed[0]!.spec.azureIdentityRef!.metadata.resourceVersion = "7";
  assert.notEqual(assignmentFingerprint(changed[0]!), assignmentFingerprint(desired[0]!));
  const r2 = assignmentStatuses(changed, [uaiId("ok"), uaiId("bad"), uaiId("slow")], [], { published: pub });
  assert.deepEqual(r2.toApply.map((a) => a.metadata.name), ["p1-d-ok", "p3-d-slow"]);
});

test("podidAssigned bookkeeping: write-ahead union, then intersection with the host", () => {
  const a = uaiId("a");
  const b = uaiId("b");
  const c = uaiId("c");
  assert.deepEqual(podidAssignedBeforePatch([a], [b, a.toLowerCase()]), [a, b]);
  assert.deepEqual(podidAssignedAfterVerify([a, b, c], [b.toLowerCase(), c]), [b, c]);
});
