// Duplicate detection, scheduled messages, subscribe() with autoComplete.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { ServiceBusReceivedMessage } from "@azure/service-bus";
import { type PeerFixture, sleep, startFixture } from "./setup.ts";

let fx: PeerFixture;
before(async () => {
  fx = await startFixture({
    queues: [
      { name: "dedupe", duplicateDetectionWindowMs: 60_000 },
      { name: "sched" },
      { name: "stream" },
      { name: "ttl", defaultMessageTtlMs: 100, deadLetteringOnMessageExpiration: true },
    ],
  });
});
after(async () => { await fx.close(); });

test("duplicate detection drops a resend of the same messageId", async () => {
  const sender = fx.client().createSender("dedupe");
  await sender.sendMessages({ body: 1, messageId: "Pod/uid-1/42" });
  await sender.sendMessages({ body: 2, messageId: "Pod/uid-1/42" });
  await sender.sendMessages([{ body: 3, messageId: "Pod/uid-1/43" }, { body: 4, messageId: "Pod/uid-1/42" }]);
  assert.deepEqual(fx.peer.messages("dedupe").map((m): unknown => m.body), [1, 3]);
});

test("scheduled messages arrive at their time; cancelled ones never do", async () => {
  const client = fx.client();
  const sender = client.createSender("sched");
  const at = new Date(Date.now() + 700);
  const [keep, drop] = await sender.scheduleMessages([{ body: "keep" }, { body: "drop" }], at);
  await sender.sendMessages({ body: "annotated", scheduledEnqueueTimeUtc: at });
  assert.deepEqual(fx.peer.queueDepth("sched"), { active: 0, scheduled: 3, deferred: 0, locked: 0, deadLettered: 0 });
  await sender.cancelScheduledMessages([drop!]);
  const receiver = client.createReceiver("sched", { receiveMode: "receiveAndDelete" });
  assert.deepEqual(await receiver.receiveMessages(5, { maxWaitTimeInMs: 100 }), []);
  await sleep(at.getTime() - Date.now() + 50);
  const got = await receiver.receiveMessages(5, { maxWaitTimeInMs: 300 });
  assert.deepEqual(got.map((m): unknown => m.body).sort(), ["annotated", "keep"]);
  assert.equal(got.find((m) => m.body === "keep")?.sequenceNumber?.toNumber(), keep!.toNumber());
  assert.equal(fx.peer.queueDepth("sched").scheduled, 0);
});

test("subscribe() with autoComplete settles each processed message", async () => {
  const client = fx.client();
  await client.createSender("stream").sendMessages([{ body: 1 }, { body: 2 }, { body: 3 }]);
  const receiver = client.createReceiver("stream");
  const seen: unknown[] = [];
  const done = new Promise<void>((resolve, reject) => {
    const sub = receiver.subscribe({
      processMessage: async (m: ServiceBusReceivedMessage) => {
        seen.push(m.body);
        if (seen.length === 3) setImmediate(() => { void sub.close().then(resolve); });
      },
      processError: async (args) => { reject(args.error); },
    }, { autoCompleteMessages: true });
  });
  await done;
  assert.deepEqual(seen, [1, 2, 3]);
  await sleep(50);
  assert.equal(fx.peer.queueDepth("stream").active, 0);
  await receiver.close();
});

test("expired messages are dead-lettered when the queue says so", async () => {
  const client = fx.client();
  await client.createSender("ttl").sendMessages({ body: "stale", messageId: "t1" });
  await sleep(150);
  const receiver = client.createReceiver("ttl");
  assert.deepEqual(await receiver.receiveMessages(1, { maxWaitTimeInMs: 100 }), []);
  assert.equal(fx.peer.deadLetters("ttl")[0]?.reason, "TTLExpiredException");
  await receiver.close();
});
