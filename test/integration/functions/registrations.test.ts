// The MIC app as `func start` would load it: functions/index.ts imported through the functions
// kit (the same registration path as the Node worker), every function's name, trigger type and
// binding metadata asserted.
import assert from "node:assert/strict";
import { test } from "node:test";
import { installFunctionsCore } from "../../../sandbox/functions-kit/index.ts";

const kit = installFunctionsCore();
Object.assign(process.env, {
  PODID_NODE_RESOURCE_GROUPS: "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/MC_rg",
  PODID_ALLOWED_IDENTITY_SCOPES: "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/identities",
  PODID_RESYNC_SCHEDULE: "0 */7 * * * *",
});
await import("../../../functions/index.ts");

const ACTIVITIES = ["micGetHost", "micHostGeneration", "micLoadHost", "micMarkReconciled", "micPollOperation", "micPublishStatuses", "micRecordPodidAssigned", "micStartUpdate"];

test("every MIC function is registered once with the trigger the host expects", () => {
  assert.deepEqual(kit.names().sort(), [...ACTIVITIES, "micClusterResync", "micClusterStatus", "micEvents", "micResync", "reconcileHost"].sort());
  const types = Object.fromEntries(kit.list().map((r) => [r.name, r.triggerType]));
  assert.equal(types.micEvents, "serviceBusTrigger");
  assert.equal(types.reconcileHost, "orchestrationTrigger");
  for (const a of ACTIVITIES) assert.equal(types[a], "activityTrigger", a);
  assert.equal(types.micResync, "timerTrigger");
  assert.equal(types.micClusterStatus, "httpTrigger");
  assert.equal(types.micClusterResync, "httpTrigger");
});

test("micEvents: mic-events queue, ServiceBusConnection, sessions, one message per invocation, durable client input", () => {
  const reg = kit.registration("micEvents");
  const t = reg.trigger.metadata;
  assert.equal(t.queueName, "mic-events");
  assert.equal(t.connection, "ServiceBusConnection");
  assert.equal(t.isSessionsEnabled, true);
  // ADR 0002: cardinality one (the library leaves it unset = "one"), so a bad message is abandoned alone.
  assert.ok(t.cardinality === undefined || t.cardinality === "one", String(t.cardinality));
  assert.equal(t.direction, "in");
  const client = reg.bindings.find((b) => b.type === "durableClient");
  assert.ok(client, "durableClient input binding");
  assert.equal(client.direction, "in");
});

test("reconcileHost and its activities carry the durable triggers", () => {
  const orch = kit.registration("reconcileHost");
  assert.equal(orch.trigger.direction, "in");
  assert.equal(orch.bindings.filter((b) => b.type !== "orchestrationTrigger").length, 0);
  for (const a of ACTIVITIES) {
    const reg = kit.registration(a);
    assert.equal(reg.trigger.type, "activityTrigger");
    assert.equal(reg.trigger.direction, "in");
    assert.equal(reg.bindings.length, 1, `${a}: its result travels as the return value, no other binding`);
  }
});

test("resync timer: schedule from PODID_RESYNC_SCHEDULE, durable client input", () => {
  const reg = kit.registration("micResync");
  assert.equal(reg.trigger.metadata.schedule, "0 */7 * * * *");
  assert.ok(reg.bindings.some((b) => b.type === "durableClient"));
});

test("HTTP API: routes, methods and function-level auth", () => {
  const status = kit.registration("micClusterStatus").trigger.metadata;
  assert.equal(status.route, "clusters/{cluster}/status");
  assert.deepEqual(status.methods, ["GET"]);
  assert.equal(status.authLevel, "function");
  const resync = kit.registration("micClusterResync").trigger.metadata;
  assert.equal(resync.route, "clusters/{cluster}/resync");
  assert.deepEqual(resync.methods, ["POST"]);
  assert.equal(resync.authLevel, "function");
  for (const name of ["micClusterStatus", "micClusterResync"]) {
    const reg = kit.registration(name);
    assert.ok(reg.bindings.some((b) => b.type === "durableClient"), `${name} has a durable client`);
    assert.ok(reg.bindings.some((b) => b.type === "http" && b.direction === "out"), `${name} answers over HTTP`);
  }
});
