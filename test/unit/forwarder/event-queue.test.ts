import assert from "node:assert/strict";
import { test } from "node:test";
import type { ObjectEvent } from "../../../core/index.ts";
import { CoalescingEventQueue } from "../../../forwarder/event-queue.ts";

const ev = (name: string, rv: string, op: "upsert" | "delete" = "upsert"): ObjectEvent => ({
  v: 1, cluster: "c1", kind: "Node", op, object: { metadata: { name, uid: `u-${name}`, resourceVersion: rv }, spec: {} },
});

test("a newer state replaces the queued one in place (latest wins, order kept)", () => {
  const q = new CoalescingEventQueue(10);
  assert.equal(q.push("a", ev("a", "1")), "queued");
  assert.equal(q.push("b", ev("b", "2")), "queued");
  assert.equal(q.push("a", ev("a", "3", "delete")), "coalesced");
  const items = q.peek(10);
  assert.deepEqual(items.map((i) => [i.key, i.event.op, i.event.object.metadata.resourceVersion]), [["a", "delete", "3"], ["b", "upsert", "2"]]);
  assert.equal(q.size, 2);
});

test("peek leaves entries queued; ack removes only the version that was sent", () => {
  const q = new CoalescingEventQueue(10);
  q.push("a", ev("a", "1"));
  q.push("b", ev("b", "1"));
  const inFlight = q.peek(10);
  q.push("a", ev("a", "2")); // changed while the batch was being sent
  q.ack(inFlight);
  assert.deepEqual(q.peek(10).map((i) => i.event.object.metadata.resourceVersion), ["2"]);
});

test("peek returns at most max, oldest first", () => {
  const q = new CoalescingEventQueue(10);
  for (const n of ["a", "b", "c"]) q.push(n, ev(n, "1"));
  assert.deepEqual(q.peek(2).map((i) => i.key), ["a", "b"]);
});

test("a new object beyond the bound drops everything and reports overflow; updates never overflow", () => {
  const q = new CoalescingEventQueue(2);
  q.push("a", ev("a", "1"));
  q.push("b", ev("b", "1"));
  assert.equal(q.push("a", ev("a", "2")), "coalesced");
  assert.equal(q.size, 2);
  assert.equal(q.push("c", ev("c", "1")), "overflow");
  assert.equal(q.size, 0);
  assert.equal(q.push("d", ev("d", "1")), "queued");
});

test("listeners hear every change; clear reports how many were dropped", () => {
  const q = new CoalescingEventQueue(5);
  let calls = 0;
  const off = q.onChange(() => calls++);
  q.push("a", ev("a", "1"));
  q.push("b", ev("b", "1"));
  assert.equal(q.clear(), 2);
  off();
  q.push("c", ev("c", "1"));
  assert.equal(calls, 3);
  assert.throws(() => new CoalescingEventQueue(0), RangeError);
});
