import assert from "node:assert/strict";
import { test } from "node:test";
import {
  composeIdentityType, parseIdentityType, planHostUpdate, sameIdentityType, type HostUpdateInput,
} from "../../../functions/mic/planner/index.ts";
import { ID_RG, NODE_RG, SUB, uaiId, vmssId } from "../../helpers/mic-fixtures.ts";

const HOST = vmssId("pool1");
const input = (over: Partial<HostUpdateInput> = {}): HostUpdateInput => ({
  hostId: HOST,
  desired: [],
  actual: { type: "None", userAssignedIdentities: [] },
  podidAssigned: [],
  immutable: [],
  allowedScopes: [`/subscriptions/${SUB}/resourceGroups/${ID_RG}`],
  nodeResourceGroups: [`/subscriptions/${SUB}/resourceGroups/${NODE_RG}`],
  ...over,
});
const A = uaiId("a");
const B = uaiId("b");
const PRE = uaiId("pre-existing");

test("identity type transitions (table)", () => {
  // [actual type, actual ids, desired, podidAssigned, expected PATCH type | "no patch", expected map]
  const cases: Array<[string | null | undefined, string[], string[], string[], string, Record<string, object | null> | undefined]> = [
    ["None", [], [A], [], "UserAssigned", { [A]: {} }],
    ["", [], [A], [], "UserAssigned", { [A]: {} }],
    [undefined, [], [A], [], "UserAssigned", { [A]: {} }],
    [null, [], [A], [], "UserAssigned", { [A]: {} }],
    ["SystemAssigned", [], [A], [], "SystemAssigned, UserAssigned", { [A]: {} }],
    ["UserAssigned", [PRE], [A], [], "UserAssigned", { [A]: {} }],
    ["SystemAssigned, UserAssigned", [PRE], [A], [], "SystemAssigned, UserAssigned", { [A]: {} }],
    ["SystemAssigned,UserAssigned", [PRE], [A], [], "SystemAssigned, UserAssigned", { [A]: {} }],
    ["UserAssigned", [A], [], [A], "None", undefined],
    ["SystemAssigned, UserAssigned", [A], [], [A], "SystemAssigned", undefined],
    ["systemassigned,userassigned", [A, B], [B], [A, B], "SystemAssigned, UserAssigned", { [A]: null }],
    ["UserAssigned", [A, PRE], [], [A], "UserAssigned", { [A]: null }],
    ["UserAssigned", [A], [A], [A], "no patch", undefined],
    ["SystemAssigned", [], [], [], "no patch", undefined],
    ["None", [], [], [A], "no patch", undefined], // recorded but already gone: nothing to do
  ];
  for (const [type, actual, desired, mine, expectedType, expectedMap] of cases) {
    const plan = planHostUpdate(input({ actual: { type, userAssignedIdentities: actual }, desired, podidAssigned: mine }));
    const label = JSON.stringify([type, actual.length, desired.length, mine.length]);
    if (expectedType === "no patch") {
      assert.deepEqual(plan.patches, [], label);
      continue;
    }
    assert.equal(plan.patches.length, 1, label);
    const patch = plan.patches[0]!;
    assert.equal(patch.identity.type, expectedType, label);
    assert.equal(plan.finalType, expectedType, label);
    assert.deepEqual(patch.identity.userAssignedIdentities, expectedMap, label);
  }
});

test("parse/compose identity types", () => {
  assert.deepEqual(parseIdentityType("SystemAssigned, UserAssigned"), { system: true, user: true });
  assert.deepEqual(parseIdentityType("None"), { system: false, user: false });
  assert.equal(composeIdentityType(false, false), "None");
  assert.equal(sameIdentityType("SystemAssigned,UserAssigned", "systemassigned, userassigned"), true);
  assert.equal(sameIdentityType("SystemAssigned", "UserAssigned"), false);
});

test("160 identities to add → two PATCHes (150 + 10), every one carrying the user type", () => {
  const many = Array.from({ length: 160 }, (_, i) => uaiId(`id-${String(i).padStart(3, "0")}`));
  const plan = planHostUpdate(input({ desired: many, actual: { type: "SystemAssigned", userAssignedIdentities: {} } }));
  assert.deepEqual(plan.patches.map((p) => Object.keys(p.identity.userAssignedIdentities ?? {}).length), [150, 10]);
  assert.ok(plan.patches.every((p) => p.identity.type === "SystemAssigned, UserAssigned"));
  assert.deepEqual(plan.patches.flatMap((p) => Object.keys(p.identity.userAssignedIdentities ?? {})), many);
});

test("mixed adds and removes are chunked adds first; the limit is configurable but never above 150", () => {
  const adds = Array.from({ length: 4 }, (_, i) => uaiId(`new-${i}`));
  const olds = Array.from({ length: 3 }, (_, i) => uaiId(`old-${i}`));
  const plan = planHostUpdate(input({ desired: adds, actual: { type: "UserAssigned", userAssignedIdentities: [...olds, PRE] }, podidAssigned: olds, maxEntriesPerPatch: 3 }));
  assert.deepEqual(plan.patches.map((p) => Object.values(p.identity.userAssignedIdentities ?? {}).map((v) => (v === null ? "-" : "+")).join("")), ["+++", "+--", "-"]);
  assert.ok(plan.patches.every((p) => p.identity.type === "UserAssigned"));
  const capped = planHostUpdate(input({ desired: Array.from({ length: 151 }, (_, i) => uaiId(`x${i}`)), maxEntriesPerPatch: 1000 }));
  assert.deepEqual(capped.patches.map((p) => Object.keys(p.identity.userAssignedIdentities ?? {}).length), [150, 1]);
});

test("removing 200 podid identities from a host: one type-only PATCH, the last and only one", () => {
  const mine = Array.from({ length: 200 }, (_, i) => uaiId(`m${i}`));
  const plan = planHostUpdate(input({ actual: { type: "SystemAssigned, UserAssigned", userAssignedIdentities: mine }, podidAssigned: mine }));
  assert.deepEqual(plan.patches, [{ identity: { type: "SystemAssigned" } }]);
  assert.equal(plan.removes.length, 200);
  assert.deepEqual(plan.expectedAfter, []);
});

test("never touch identities podid did not add; immutable ones by resource or client id", () => {
  const kubeletClient = "11111111-2222-3333-4444-555555555555";
  const kubelet = uaiId("kubelet", "MC_x");
  const plan = planHostUpdate(input({
    actual: { type: "UserAssigned", userAssignedIdentities: { [PRE]: { clientId: "c0" }, [A.toLowerCase()]: { clientId: "c1" }, [kubelet]: { clientId: kubeletClient.toUpperCase() }, [B]: {} } },
    podidAssigned: [A, kubelet, B],
    immutable: [kubeletClient, B.toUpperCase().replace("/SUBSCRIPTIONS/", "/subscriptions/")],
  }));
  assert.deepEqual(plan.removes, [A.toLowerCase()]);
  assert.deepEqual(plan.skipped.map((s) => [s.reason, s.id]).sort(), [["immutable", kubelet], ["immutable", B]]);
  assert.deepEqual(plan.patches, [{ identity: { type: "UserAssigned", userAssignedIdentities: { [A.toLowerCase()]: null } } }]);
});

test("ids compare case-insensitively: ARM's lower-cased ids match desired and recorded ones", () => {
  const plan = planHostUpdate(input({
    desired: [A],
    actual: { type: "UserAssigned", userAssignedIdentities: { [A.toLowerCase()]: {}, [B.toLowerCase()]: {} } },
    podidAssigned: [A.toUpperCase().replace("/SUBSCRIPTIONS/", "/subscriptions/"), B],
  }));
  assert.deepEqual(plan.adds, []);
  assert.deepEqual(plan.removes, [B.toLowerCase()]);
});

test("scope guard: identity outside the allow-list is never added; host outside node RGs is rejected", () => {
  const foreign = uaiId("evil", "other-rg");
  const p1 = planHostUpdate(input({ desired: [A, foreign] }));
  assert.deepEqual(p1.adds, [A]);
  assert.deepEqual(p1.skipped.map((s) => [s.reason, s.id]), [["identity-outside-allowed-scopes", foreign]]);
  const p2 = planHostUpdate(input({ desired: [A], allowedScopes: [] }));
  assert.deepEqual([p2.patches, p2.skipped.map((s) => s.reason)], [[], ["identity-outside-allowed-scopes"]]);
  const p3 = planHostUpdate(input({ desired: [A], allowedScopes: ["/"] }));
  assert.deepEqual(p3.adds, [A]);
  const p4 = planHostUpdate(input({ desired: ["/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/virtualMachines/v"] }));
  assert.deepEqual(p4.skipped.map((s) => s.reason), ["identity-resource-id-invalid"]);

  const outside = planHostUpdate(input({ hostId: vmssId("pool1", "someone-elses-rg"), desired: [A], podidAssigned: [B], actual: { type: "UserAssigned", userAssignedIdentities: [B] } }));
  assert.equal(outside.hostRejected?.reason, "host-outside-node-resource-groups");
  assert.deepEqual([outside.patches, outside.adds, outside.removes], [[], [], []]);
  assert.deepEqual(outside.skipped.map((s) => [s.reason, s.id]), [["host-outside-node-resource-groups", A]]);
  const bogus = planHostUpdate(input({ hostId: "/subscriptions/x", desired: [A] }));
  assert.equal(bogus.hostRejected?.reason, "host-id-invalid");
  const none = planHostUpdate(input({ desired: [A], nodeResourceGroups: [] }));
  assert.equal(none.hostRejected?.reason, "host-outside-node-resource-groups");
});

test("a podid identity dropped from the allow-list is still removed (removal only reduces privilege)", () => {
  const plan = planHostUpdate(input({ actual: { type: "UserAssigned", userAssignedIdentities: [A, PRE] }, podidAssigned: [A], allowedScopes: [] }));
  assert.deepEqual(plan.removes, [A]);
});

test("failedPermanently ids are neither added nor removed again", () => {
  const plan = planHostUpdate(input({
    desired: [A, B], failedPermanently: [B.toLowerCase(), PRE],
    actual: { type: "UserAssigned", userAssignedIdentities: [PRE] }, podidAssigned: [PRE],
  }));
  assert.deepEqual(plan.adds, [A]);
  assert.deepEqual(plan.removes, []);
  assert.deepEqual(plan.skipped.map((s) => [s.reason, s.id]), [["failed-permanently", B], ["failed-permanently", PRE]]);
  assert.deepEqual(plan.patches, [{ identity: { type: "UserAssigned", userAssignedIdentities: { [A]: {} } } }]);
});

test("no-op plan: nothing to add or remove produces no PATCH and reports the current state", () => {
  const plan = planHostUpdate(input({ desired: [A.toLowerCase()], actual: { type: "SystemAssigned, UserAssigned", userAssignedIdentities: [A, PRE] }, podidAssigned: [A] }));
  assert.deepEqual([plan.patches, plan.adds, plan.removes, plan.skipped], [[], [], [], []]);
  assert.equal(plan.finalType, "SystemAssigned, UserAssigned");
  assert.deepEqual(plan.expectedAfter, [A, PRE]);
});
