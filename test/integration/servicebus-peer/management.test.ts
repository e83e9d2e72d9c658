// $management replies built directly against a queue: the cases the SDK cannot easily reach.
import assert from "node:assert/strict";
import { test } from "node:test";
import { handleManagement } from "../../../sandbox/peers/servicebus/management.ts";
import { Queue } from "../../../sandbox/peers/servicebus/queue.ts";
import { resolveQueueOptions } from "../../../sandbox/peers/servicebus/types.ts";

function request(operation: string, body: Record<string, unknown> = {}): Record<string, unknown> {
  return { application_properties: { operation }, body };
}

test("unknown operations get a clean not-implemented reply", () => {
  const q = new Queue("q", resolveQueueOptions({ name: "q" }), { next: 1 });
  const reply = handleManagement(request("com.microsoft:get-message-sessions"), q);
  assert.deepEqual(reply.application_properties, {
    statusCode: 501,
    statusDescription: "The operation 'com.microsoft:get-message-sessions' is not implemented by this Service Bus peer.",
    errorCondition: "amqp:not-implemented",
  });
  q.close();
});

test("renew-lock of an unknown token is lock-lost (410); peek of an empty queue is 204", () => {
  const q = new Queue("q", resolveQueueOptions({ name: "q" }), { next: 1 });
  const token = Buffer.alloc(16, 7);
  const renew = handleManagement(request("com.microsoft:renew-lock", { "lock-tokens": [token] }), q);
  assert.equal((renew.application_properties as Record<string, unknown>).statusCode, 410);
  assert.equal((renew.application_properties as Record<string, unknown>).errorCondition, "com.microsoft:message-lock-lost");
  const peek = handleManagement(request("com.microsoft:peek-message", { "from-sequence-number": 1, "message-count": 5 }), q);
  assert.equal((peek.application_properties as Record<string, unknown>).statusCode, 204);
  q.close();
});
