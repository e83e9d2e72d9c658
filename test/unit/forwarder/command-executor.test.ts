import assert from "node:assert/strict";
import { test } from "node:test";
import { ASSIGNED_IDENTITY_FINALIZER, DeadLetterReason } from "../../../core/index.ts";
import { executeCommand } from "../../../forwarder/command-executor.ts";
import { handleCommand } from "../../../forwarder/command-handler.ts";
import { CommandError, ForwarderErrorCode } from "../../../forwarder/errors.ts";
import { aai, apiError, command, FakeAssignedIdentityStore } from "../../helpers/forwarder-fakes.ts";

const opts = { maxAttempts: 3 };

test("apply creates, then sets the status through the status subresource", async () => {
  const store = new FakeAssignedIdentityStore();
  const r = await executeCommand(command("apply", aai("a", {}, "Assigned")), store, opts);
  assert.deepEqual(r.steps, ["create", "updateStatus"]);
  const o = store.objects.get("default/a");
  assert.equal(o?.status?.status, "Assigned");
  assert.equal(o?.metadata.labels?.nodename, "n1");
  assert.equal(o?.metadata.finalizers, undefined);
});

test("a duplicate apply writes nothing", async () => {
  const store = new FakeAssignedIdentityStore();
  await executeCommand(command("apply", aai("a", {}, "Assigned")), store, opts);
  store.calls.length = 0;
  const r = await executeCommand(command("apply", aai("a", {}, "Assigned")), store, opts);
  assert.deepEqual(r.steps, []);
  assert.deepEqual(store.calls, ["get"]);
});

test("409 Conflict on the status write: re-read and reapply", async () => {
  const store = new FakeAssignedIdentityStore();
  store.inject.set("replaceStatus", [apiError(409)]);
  const r = await executeCommand(command("apply", aai("a", {}, "Assigned")), store, opts);
  assert.equal(r.conflicts, 1);
  assert.equal(store.objects.get("default/a")?.status?.status, "Assigned");
  assert.deepEqual(store.calls, ["get", "create", "replaceStatus", "get", "replaceStatus"]);
});

test("AlreadyExists on create takes the update path", async () => {
  const store = new FakeAssignedIdentityStore();
  store.put({ ...aai("a", { nodename: "old" }), metadata: { name: "a", namespace: "default", labels: { nodename: "old" } } });
  // simulate a racing creator: our first read saw nothing
  const original = store.get.bind(store);
  let first = true;
  store.get = async (ns, name) => (first ? ((first = false), undefined) : original(ns, name));
  const r = await executeCommand(command("apply", aai("a", {}, "Assigned")), store, opts);
  assert.equal(r.conflicts, 1);
  assert.deepEqual(r.steps, ["update", "updateStatus"]);
  assert.equal(store.objects.get("default/a")?.spec.nodename, "n1");
});

test("delete: 404 is done; our finalizer is stripped before the delete", async () => {
  const store = new FakeAssignedIdentityStore();
  assert.deepEqual((await executeCommand(command("delete", aai("gone")), store, opts)).steps, []);
  store.put({ ...aai("a"), metadata: { name: "a", namespace: "default", finalizers: [ASSIGNED_IDENTITY_FINALIZER] } });
  const r = await executeCommand(command("delete", aai("a")), store, opts);
  assert.deepEqual(r.steps, ["update", "delete"]);
  assert.equal(store.objects.has("default/a"), false);
});

test("errors are classified: 422 rejected, 5xx transient, endless conflicts give up", async () => {
  const cases: Array<[number[], string]> = [
    [[422], ForwarderErrorCode.Rejected],
    [[503], ForwarderErrorCode.Transient],
    [[429], ForwarderErrorCode.Transient],
    [[409, 409, 409], ForwarderErrorCode.Conflict],
  ];
  for (const [codes, expected] of cases) {
    const store = new FakeAssignedIdentityStore();
    store.put(aai("a"));
    store.inject.set("replaceStatus", codes.map((c) => apiError(c)));
    await assert.rejects(executeCommand(command("apply", aai("a", {}, "Assigned")), store, opts), (e: unknown) => {
      assert.ok(e instanceof CommandError);
      assert.equal(e.code, expected);
      return true;
    });
  }
});

test("handler: complete, dead-letter (malformed, other cluster, rejected) or abandon (transient)", async () => {
  const store = new FakeAssignedIdentityStore();
  const h = (body: unknown) => handleCommand(body, { cluster: "c1", store, maxAttempts: 3 });
  assert.equal((await h(command("apply", aai("a", {}, "Assigned")))).action, "complete");
  const malformed = await h("{nope");
  assert.deepEqual([malformed.action, malformed.action === "deadLetter" && malformed.reason], ["deadLetter", DeadLetterReason.MalformedJson]);
  const other = await h(command("apply", aai("b"), "c2"));
  assert.deepEqual([other.action, other.action === "deadLetter" && other.reason], ["deadLetter", DeadLetterReason.WrongSession]);
  const invalid = await h({ v: 1, cluster: "c1", op: "apply", assignedIdentity: { metadata: { name: "x" } } });
  assert.deepEqual([invalid.action, invalid.op], ["deadLetter", "invalid"]);
  store.inject.set("create", [apiError(422)]);
  const rejected = await h(command("apply", aai("c")));
  assert.deepEqual([rejected.action, rejected.action === "deadLetter" && rejected.reason], ["deadLetter", ForwarderErrorCode.Rejected]);
  store.inject.set("get", [apiError(500)]);
  const transient = await h(command("delete", aai("a")));
  assert.deepEqual([transient.action, transient.op], ["abandon", "delete"]);
});
