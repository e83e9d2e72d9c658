// Peek-lock lifetimes: renewal, expiry and redelivery, max delivery count, lock-lost errors.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type PeerFixture, sleep, startFixture } from "./setup.ts";

let fx: PeerFixture;
before(async () => {
  fx = await startFixture({
    queues: [
      { name: "renew", lockDurationMs: 400 },
      { name: "expiry", lockDurationMs: 200 },
      { name: "retry", lockDurationMs: 5000, maxDeliveryCount: 3 },
    ],
  });
});
after(async () => { await fx.close(); });

test("renewMessageLock extends the lock past its original expiry", async () => {
  const client = fx.client();
  await client.createSender("renew").sendMessages({ body: "r" });
  const receiver = client.createReceiver("renew", { maxAutoLockRenewalDurationInMs: 0 });
  await receiver.peekMessages(1); // opens the $management link up front
  const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 });
  const first = m!.lockedUntilUtc!.getTime();
  await sleep(200);
  const renewed = await receiver.renewMessageLock(m!);
  assert.ok(renewed.getTime() >= first + 150);
  await sleep(first - Date.now() + 50); // past the original lock
  await receiver.completeMessage(m!);
  assert.equal(fx.peer.queueDepth("renew").active, 0);
  await receiver.close();
});

test("an expired lock redelivers the message (deliveryCount 1) and settling the old lock fails", async () => {
  const client = fx.client();
  await client.createSender("expiry").sendMessages({ body: "e", messageId: "e1" });
  const receiver = client.createReceiver("expiry", { maxAutoLockRenewalDurationInMs: 0 });
  const [m1] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 });
  assert.equal(m1?.deliveryCount, 0);
  await sleep(300);
  assert.equal(fx.peer.queueDepth("expiry").locked, 0);
  const [m2] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 });
  assert.equal(m2?.messageId, "e1");
  assert.equal(m2?.deliveryCount, 1);
  assert.notEqual(m2?.lockToken, m1?.lockToken);
  await receiver.completeMessage(m2);
  await assert.rejects(receiver.completeMessage(m1), { code: "MessageLockLost" });
  await assert.rejects(receiver.renewMessageLock(m1), { code: "MessageLockLost" });
  assert.equal(fx.peer.queueDepth("expiry").active, 0);
  await receiver.close();
});

test("max delivery count dead-letters with MaxDeliveryCountExceeded", async () => {
  const client = fx.client();
  await client.createSender("retry").sendMessages({ body: "fails", messageId: "f1" });
  const receiver = client.createReceiver("retry");
  const counts: number[] = [];
  for (let i = 0; i < 3; i++) {
    const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 });
    counts.push(m!.deliveryCount!);
    await receiver.abandonMessage(m!);
  }
  assert.deepEqual(counts, [0, 1, 2]);
  assert.deepEqual(await receiver.receiveMessages(1, { maxWaitTimeInMs: 200 }), []);
  const [dl] = fx.peer.deadLetters("retry");
  assert.equal(dl?.messageId, "f1");
  assert.equal(dl?.reason, "MaxDeliveryCountExceeded");
  assert.equal(dl?.deliveryCount, 3);
  await receiver.close();
});
