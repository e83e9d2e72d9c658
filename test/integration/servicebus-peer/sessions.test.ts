// Sessions: accept by id (FIFO, state), accept next, exclusive locks, lock expiry and renewal.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type PeerFixture, sleep, startFixture } from "./setup.ts";

let fx: PeerFixture;
before(async () => {
  fx = await startFixture({
    queues: [
      { name: "events", requiresSession: true },
      { name: "next", requiresSession: true },
      { name: "short", requiresSession: true, lockDurationMs: 300 },
    ],
  });
});
after(async () => { await fx.close(); });

test("acceptSession by id: FIFO within the session, state set/get, no messages of other sessions", async () => {
  const client = fx.client();
  const sender = client.createSender("events");
  await sender.sendMessages([
    { body: "a1", sessionId: "a" }, { body: "b1", sessionId: "b" },
    { body: "a2", sessionId: "a" }, { body: "a3", sessionId: "a" },
  ]);
  await assert.rejects(sender.sendMessages({ body: "no session" }), /SessionId was not set/);
  const a = await client.acceptSession("events", "a");
  assert.equal(a.sessionId, "a");
  assert.ok(a.sessionLockedUntilUtc.getTime() > Date.now());
  const got = await a.receiveMessages(3, { maxWaitTimeInMs: 500 });
  assert.deepEqual(got.map((m): unknown => m.body), ["a1", "a2", "a3"]);
  assert.ok(got.every((m) => m.sessionId === "a"));
  for (const m of got) await a.completeMessage(m);
  assert.equal(await a.getSessionState(), null);
  await a.setSessionState({ cursor: 3 });
  assert.deepEqual(await a.getSessionState(), { cursor: 3 });
  await a.close();
  assert.equal(fx.peer.queueDepth("events").active, 1);

  const b = await client.acceptSession("events", "b");
  const [b1] = await b.receiveMessages(1, { maxWaitTimeInMs: 500 });
  assert.equal(b1?.body, "b1");
  await b.completeMessage(b1);
  await b.close();
});

test("a locked session cannot be accepted twice; acceptNextSession skips it", async () => {
  const client = fx.client({ retryOptions: { maxRetries: 0, timeoutInMs: 2000 } });
  await client.createSender("next").sendMessages([
    { body: "x1", sessionId: "s1" }, { body: "y1", sessionId: "s2" },
  ]);
  const s1 = await client.acceptSession("next", "s1");
  await assert.rejects(client.acceptSession("next", "s1"), { code: "SessionCannotBeLocked" });
  const nextOne = await client.acceptNextSession("next");
  assert.equal(nextOne.sessionId, "s2");
  const [y1] = await nextOne.receiveMessages(1, { maxWaitTimeInMs: 500 });
  assert.equal(y1?.body, "y1");
  await nextOne.completeMessage(y1);
  await nextOne.close();
  await assert.rejects(client.acceptNextSession("next"), (err: Error & { code?: string }) => {
    assert.ok(err.code === "ServiceTimeout" || err.code === "SessionCannotBeLocked", String(err.code));
    return true;
  });
  // Closing s1 unlocks it: its unsettled message becomes available to the next receiver.
  const [x1] = await s1.receiveMessages(1, { maxWaitTimeInMs: 500 });
  assert.equal(x1?.body, "x1");
  await s1.close();
  const again = await client.acceptNextSession("next");
  assert.equal(again.sessionId, "s1");
  const [x1b] = await again.receiveMessages(1, { maxWaitTimeInMs: 500 });
  assert.equal(x1b?.deliveryCount, 1);
  await again.completeMessage(x1b);
  await again.close();
});

test("session lock renews, and an unrenewed lock expires so settlement fails", async () => {
  const client = fx.client();
  await client.createSender("short").sendMessages({ body: "z", sessionId: "z" });
  const z = await client.acceptSession("short", "z", { maxAutoLockRenewalDurationInMs: 0 });
  const before = z.sessionLockedUntilUtc.getTime();
  const [m] = await z.receiveMessages(1, { maxWaitTimeInMs: 500 });
  await sleep(150);
  await z.renewSessionLock();
  assert.ok(z.sessionLockedUntilUtc.getTime() > before);
  await sleep(200); // beyond the first lock, within the renewed one
  await z.completeMessage(m!);

  await client.createSender("short").sendMessages({ body: "z2", sessionId: "z" });
  const [m2] = await z.receiveMessages(1, { maxWaitTimeInMs: 500 });
  await sleep(400);
  await assert.rejects(z.completeMessage(m2!), { code: "SessionLockLost" });
  await z.close();
  const z2 = await client.acceptSession("short", "z");
  const [again] = await z2.receiveMessages(1, { maxWaitTimeInMs: 500 });
  assert.equal(again?.body, "z2");
  assert.equal(again?.deliveryCount, 1);
  await z2.completeMessage(again);
  await z2.close();
});
