// The Service Bus trigger driver against the Service Bus peer, with the real @azure/service-bus
// client on both sides and the real @azure/functions invocation model in between.
import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import { startSbTriggerFixture, until } from "../helpers/sb-trigger-fixture.ts";
import type { SbTriggerFixture } from "../helpers/sb-trigger-fixture.ts";

let f: SbTriggerFixture;
before(async () => { f = await startSbTriggerFixture(); });
after(async () => { await f.close(); });
beforeEach(() => { f.mod.resetFixture(); });

const seenBy = (fn: string) => f.mod.seen.filter((s) => s.fn === fn);

test("cardinality one: body and host-shaped metadata; completed on success", async () => {
  const t = await f.trigger("sbOne");
  await f.send("one", {
    body: { hello: "world" }, messageId: "m-1", contentType: "application/json", correlationId: "c-1",
    subject: "greeting", applicationProperties: { tenant: "t1", n: 7 },
  });
  await f.send("one", { body: "123", messageId: "m-2" });
  await until("two invocations", () => seenBy("sbOne").length === 2);
  await until("both completed", () => t.stats.completed === 2);
  const [first, second] = seenBy("sbOne");
  assert.deepEqual(first?.body, { hello: "world" });
  const md = first?.metadata ?? {};
  assert.equal(md.messageId, "m-1");
  assert.equal(md.deliveryCount, 1, "DeliveryCount is 1-based like the host's");
  assert.equal(md.contentType, "application/json");
  assert.equal(md.correlationId, "c-1");
  assert.equal(md.subject, "greeting");
  assert.equal(md.label, "greeting");
  assert.equal(typeof md.sequenceNumber, "number");
  assert.match(String(md.lockToken), /^[0-9a-f-]{36}$/);
  assert.ok(!Number.isNaN(Date.parse(String(md.enqueuedTimeUtc))));
  assert.equal(md.expiresAtUtc, "9999-12-31T23:59:59.9999999+00:00");
  assert.deepEqual(md.applicationProperties, { tenant: "t1", n: 7 });
  assert.deepEqual(md.userProperties, { tenant: "t1", n: 7 });
  assert.equal(md.sessionId, undefined);
  // A JSON *string* body reaches the handler as a string, as the broker's bytes say.
  assert.equal(second?.body, "123");
  const depth = f.peer.queueDepth("one");
  assert.equal(depth.active, 0);
  assert.equal(depth.deadLettered, 0);
  await t.stop();
});

test("cardinality many: one invocation per receive with …Array metadata; all completed", async () => {
  await f.send("many", [0, 1, 2, 3, 4].map((i) => ({ body: { i }, messageId: `b-${i}`, applicationProperties: { i } })));
  const t = await f.trigger("sbMany", { maxBatchSize: 10 });
  await until("all completed", () => t.stats.completed === 5);
  const calls = seenBy("sbMany");
  assert.equal(calls.length, 1, "the five waiting messages arrive in one batch");
  const md = calls[0]?.metadata ?? {};
  assert.deepEqual(calls[0]?.body, [0, 1, 2, 3, 4].map((i) => ({ i })));
  assert.deepEqual(md.messageIdArray, ["b-0", "b-1", "b-2", "b-3", "b-4"]);
  assert.deepEqual(md.deliveryCountArray, [1, 1, 1, 1, 1]);
  assert.equal((md.sequenceNumberArray as number[]).length, 5);
  assert.equal((md.lockTokenArray as string[]).length, 5);
  assert.deepEqual(md.applicationPropertiesArray, [0, 1, 2, 3, 4].map((i) => ({ i })));
  assert.equal(f.peer.queueDepth("many").active, 0);
  await t.stop();
});

test("abandon on throw → redelivery with DeliveryCount 2; dead-lettered at MaxDeliveryCount", async () => {
  const t = await f.trigger("sbFlaky", { maxConcurrentCalls: 1 });
  await f.send("flaky", { body: { failUntil: 2 }, messageId: "once" });
  await until("retried and completed", () => t.stats.completed === 1);
  assert.deepEqual(seenBy("sbFlaky").map((s) => s.metadata.deliveryCount), [1, 2]);

  f.mod.resetFixture();
  await f.send("flaky", { body: { failUntil: 99 }, messageId: "poison" });
  await until("dead-lettered", () => f.peer.queueDepth("flaky").deadLettered === 1);
  assert.deepEqual(seenBy("sbFlaky").map((s) => s.metadata.deliveryCount), [1, 2, 3], "max delivery count 3");
  const [dl] = f.peer.deadLetters("flaky");
  assert.equal(dl?.messageId, "poison");
  assert.equal(dl?.reason, "MaxDeliveryCountExceeded");
  assert.equal(t.stats.abandoned, 4);
  await t.stop();
});

test("sessions: each session in order, one invocation at a time per session", async () => {
  const t = await f.trigger("sbSessions", { maxConcurrentSessions: 3, sessionIdleTimeoutMs: 300 });
  const msgs = [];
  for (let i = 0; i < 6; i++) {
    for (const s of ["a", "b", "c"]) msgs.push({ body: { s, i, sleepMs: (i * 7 + s.charCodeAt(0)) % 15 }, sessionId: s, messageId: `${s}-${i}` });
  }
  await f.send("sessions", msgs);
  await until("all completed", () => t.stats.completed === 18);
  for (const s of ["a", "b", "c"]) {
    const order = seenBy("sbSessions").filter((x) => x.metadata.sessionId === s).map((x) => (x.body as { i: number }).i);
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5], `session ${s} in order`);
  }
  assert.equal(f.mod.perSession.max, 1, "maxConcurrentCallsPerSession = 1");
  assert.ok((f.mod.maxRunning.get("sbSessions") ?? 0) > 1, "different sessions run concurrently");
  await t.stop();
});

test("sessions: a failing message is retried before the rest of its session", async () => {
  const t = await f.trigger("sbSessions", { maxConcurrentSessions: 1, sessionIdleTimeoutMs: 300 });
  await f.send("sessions", [
    { body: { i: 0 }, sessionId: "x", messageId: "x-0" },
    { body: { i: 1, failUntil: 3 }, sessionId: "x", messageId: "x-1" },
    { body: { i: 2 }, sessionId: "x", messageId: "x-2" },
  ]);
  await until("all completed", () => t.stats.completed === 3);
  const seenX = seenBy("sbSessions").map((s) => [(s.body as { i: number }).i, s.metadata.deliveryCount]);
  assert.deepEqual(seenX, [[0, 1], [1, 1], [1, 2], [1, 3], [2, 1]]);
  await t.stop();
});

test("sessions: an idle session is released so another can be taken", async () => {
  const t = await f.trigger("sbSessions", { maxConcurrentSessions: 1, sessionIdleTimeoutMs: 200 });
  await f.send("sessions", { body: { i: 0 }, sessionId: "first", messageId: "first-0" });
  await until("first done", () => t.stats.completed === 1);
  await f.send("sessions", { body: { i: 0 }, sessionId: "second", messageId: "second-0" });
  await until("second done", () => t.stats.completed === 2);
  assert.ok(t.stats.sessionsAccepted >= 2);
  await until("session released when idle", () => t.activeSessions().length === 0, 2000);
  await t.stop();
});

test("sessions + cardinality many: batches carry one session's messages in order", async () => {
  await f.send("sessbatch", [0, 1, 2, 3].flatMap((i) => ["p", "q"].map((s) => ({ body: { s, i }, sessionId: s, messageId: `${s}-${i}` }))));
  const t = await f.trigger("sbSessionBatch", { maxConcurrentSessions: 2, sessionIdleTimeoutMs: 200, maxBatchSize: 10 });
  await until("all completed", () => t.stats.completed === 8);
  for (const call of seenBy("sbSessionBatch")) {
    const ids = call.metadata.sessionIdArray as string[];
    assert.equal(new Set(ids).size, 1, "one session per batch");
  }
  for (const s of ["p", "q"]) {
    const order = seenBy("sbSessionBatch").flatMap((c) => c.body as { s: string; i: number }[]).filter((b) => b.s === s).map((b) => b.i);
    assert.deepEqual(order, [0, 1, 2, 3]);
  }
  await t.stop();
});

test("locks are renewed while the function runs longer than the lock duration", async () => {
  const t = await f.trigger("sbSlowLock", { maxConcurrentCalls: 1 });
  await f.send("slowlock", { body: { sleepMs: 1500 }, messageId: "slow" });
  await until("completed", () => t.stats.completed === 1, 6000);
  assert.equal(seenBy("sbSlowLock").length, 1, "not redelivered meanwhile");
  assert.equal(t.stats.settleErrors, 0);
  assert.equal(f.peer.queueDepth("slowlock").active, 0);
  await t.stop();
});

test("bounded concurrency and a stop() that drains in-flight invocations", async () => {
  const t = await f.trigger("sbOne", { maxConcurrentCalls: 2 });
  await f.send("one", [0, 1, 2, 3, 4, 5].map((i) => ({ body: { i, sleepMs: 150 }, messageId: `c-${i}` })));
  await until("two running", () => (f.mod.running.get("sbOne") ?? 0) === 2);
  await t.stop();
  assert.equal(f.mod.maxRunning.get("sbOne"), 2);
  assert.equal(f.mod.running.get("sbOne"), 0, "stop() waited for the running invocations");
  assert.equal(t.stats.inFlight, 0);
  assert.equal(t.stats.completed, t.stats.invocations, "every invocation that ran was settled");
  assert.equal(f.peer.queueDepth("one").active, 6 - t.stats.completed, "the rest stays queued, unlocked");
  assert.equal(f.peer.queueDepth("one").locked, 0);
  // Drain the queue for the other tests.
  const again = await f.trigger("sbOne");
  await until("rest completed", () => f.peer.queueDepth("one").active === 0);
  await again.stop();
});

test("a connection setting that does not exist fails at start with its name", async () => {
  await assert.rejects(f.trigger("sbNoSetting"), (e: Error) => /MISSING/.test(e.message) && /fullyQualifiedNamespace/.test(e.message));
});
