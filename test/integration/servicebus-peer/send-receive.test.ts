// The real ServiceBusClient against the peer: send (single, batch), peek-lock settlement,
// receiveAndDelete, peek, size limit, unknown entity.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type PeerFixture, startFixture } from "./setup.ts";

let fx: PeerFixture;
before(async () => {
  fx = await startFixture({ queues: [{ name: "q1" }, { name: "q2" }, { name: "small", maxMessageSizeBytes: 2048 }] });
});
after(async () => { await fx.close(); });

test("send single + batch, peek-lock receive and complete", async () => {
  const client = fx.client();
  const sender = client.createSender("q1");
  await sender.sendMessages({ body: { n: 1 }, messageId: "m1", applicationProperties: { kind: "a" } });
  const batch = await sender.createMessageBatch();
  assert.ok(batch.tryAddMessage({ body: { n: 2 } }));
  assert.ok(batch.tryAddMessage({ body: { n: 3 } }));
  await sender.sendMessages(batch);
  await sender.sendMessages([{ body: { n: 4 } }, { body: { n: 5 } }]);
  assert.equal(fx.peer.queueDepth("q1").active, 5);

  const receiver = client.createReceiver("q1");
  const got = await receiver.receiveMessages(5, { maxWaitTimeInMs: 1000 });
  assert.deepEqual(got.map((m) => (m.body as { n: number }).n), [1, 2, 3, 4, 5]);
  const first = got[0]!;
  assert.equal(first.messageId, "m1");
  assert.equal(first.applicationProperties?.kind, "a");
  assert.equal(first.deliveryCount, 0);
  assert.equal(first.sequenceNumber?.toNumber(), 1);
  assert.ok(first.lockToken);
  assert.ok(first.lockedUntilUtc && first.lockedUntilUtc.getTime() > Date.now());
  assert.ok(got.every((m) => typeof m.messageId === "string" && m.messageId !== ""));
  assert.equal(fx.peer.queueDepth("q1").locked, 5);
  for (const m of got) await receiver.completeMessage(m);
  assert.equal(fx.peer.queueDepth("q1").active, 0);
  await receiver.close();
});

test("abandon redelivers with deliveryCount 1; deadLetter lands in the DLQ with reason", async () => {
  const client = fx.client();
  const sender = client.createSender("q2");
  await sender.sendMessages({ body: "poison", messageId: "p1" });
  const receiver = client.createReceiver("q2");
  const [m1] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 });
  assert.equal(m1?.deliveryCount, 0);
  await receiver.abandonMessage(m1);
  const [m2] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 });
  assert.equal(m2?.messageId, "p1");
  assert.equal(m2?.deliveryCount, 1);
  await receiver.deadLetterMessage(m2, { deadLetterReason: "Malformed", deadLetterErrorDescription: "bad json" });
  assert.deepEqual(fx.peer.queueDepth("q2"), { active: 0, scheduled: 0, deferred: 0, locked: 0, deadLettered: 1 });
  const [dl] = fx.peer.deadLetters("q2");
  assert.equal(dl?.reason, "Malformed");
  assert.equal(dl?.description, "bad json");
  assert.equal(dl?.body, "poison");

  const dlq = client.createReceiver("q2", { subQueueType: "deadLetter" });
  const [d] = await dlq.receiveMessages(1, { maxWaitTimeInMs: 1000 });
  assert.equal(d?.messageId, "p1");
  assert.equal(d?.deadLetterReason, "Malformed");
  assert.equal(d?.deadLetterErrorDescription, "bad json");
  assert.equal(d?.deadLetterSource, "q2");
  await dlq.completeMessage(d);
  assert.equal(fx.peer.queueDepth("q2").deadLettered, 0);
  await dlq.close();
  await receiver.close();
});

test("defer, then receiveDeferredMessages and complete through $management", async () => {
  const client = fx.client();
  await client.createSender("q2").sendMessages([{ body: "later" }, { body: "now" }]);
  const receiver = client.createReceiver("q2");
  const [a, b] = await receiver.receiveMessages(2, { maxWaitTimeInMs: 1000 });
  await receiver.deferMessage(a!);
  await receiver.completeMessage(b!);
  assert.equal(fx.peer.queueDepth("q2").deferred, 1);
  assert.deepEqual(await receiver.receiveMessages(1, { maxWaitTimeInMs: 200 }), []);
  const [d] = await receiver.receiveDeferredMessages([a!.sequenceNumber!]);
  assert.equal(d?.body, "later");
  assert.equal(d?.deliveryCount, 1);
  await receiver.completeMessage(d);
  assert.equal(fx.peer.queueDepth("q2").deferred, 0);
  await assert.rejects(receiver.receiveDeferredMessages([a!.sequenceNumber!]), { code: "MessageNotFound" });
  await receiver.close();
});

test("receiveAndDelete removes on delivery; peekMessages shows without locking", async () => {
  const client = fx.client();
  await client.createSender("q2").sendMessages([{ body: 1 }, { body: 2 }, { body: 3 }]);
  const peeker = client.createReceiver("q2");
  const peeked = await peeker.peekMessages(10);
  assert.deepEqual(peeked.map((m): unknown => m.body), [1, 2, 3]);
  assert.equal(fx.peer.queueDepth("q2").locked, 0);
  const rad = client.createReceiver("q2", { receiveMode: "receiveAndDelete" });
  const got = await rad.receiveMessages(3, { maxWaitTimeInMs: 1000 });
  assert.deepEqual(got.map((m): unknown => m.body), [1, 2, 3]);
  assert.equal(fx.peer.queueDepth("q2").active, 0);
  assert.deepEqual(await peeker.peekMessages(10), []);
  await rad.close();
  await peeker.close();
});

test("over-size message is rejected with MessageSizeExceeded; unknown entity is not found", async () => {
  const client = fx.client();
  const sender = client.createSender("small");
  await assert.rejects(sender.sendMessages({ body: "x".repeat(4000) }), { code: "MessageSizeExceeded" });
  await sender.sendMessages({ body: "fits" });
  assert.equal(fx.peer.queueDepth("small").active, 1);
  const batch = await sender.createMessageBatch();
  assert.equal(batch.maxSizeInBytes, 2048);
  const missing = client.createSender("nope");
  await assert.rejects(missing.sendMessages({ body: 1 }), { code: "MessagingEntityNotFound" });
});
