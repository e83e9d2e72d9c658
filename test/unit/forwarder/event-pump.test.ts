import assert from "node:assert/strict";
import { test } from "node:test";
import type { ObjectEvent, SnapshotItem } from "../../../core/index.ts";
import { EventPump } from "../../../forwarder/event-pump.ts";
import { CoalescingEventQueue } from "../../../forwarder/event-queue.ts";
import type { FakeBatch } from "../../helpers/forwarder-fakes.ts";
import { FakeSender, silentLogger, waitFor } from "../../helpers/forwarder-fakes.ts";

const node = (name: string, rv: string): ObjectEvent => ({
  v: 1, cluster: "c1", kind: "Node", op: "upsert", object: { metadata: { name, uid: `u-${name}`, resourceVersion: rv }, spec: {} },
});

interface Setup {
  items?: SnapshotItem[] | undefined;
  capacity?: number;
  maxMessages?: number;
  maxBody?: number;
  waitMs?: number;
}

function setup(s: Setup = {}) {
  const queue = new CoalescingEventQueue(100);
  const sender = new FakeSender(s.capacity ?? 100);
  let items = s.items;
  let seq = 0;
  const counts = { sent: 0, failed: 0, snapshots: 0 };
  const pump = new EventPump<FakeBatch>({
    cluster: "c1", queue, sender,
    captureSnapshot: () => items,
    newSnapshotId: () => `run-${++seq}`,
    batchMaxWaitMs: s.waitMs ?? 5,
    batchMaxMessages: s.maxMessages ?? 50,
    snapshotMaxBodyBytes: s.maxBody ?? 192 * 1024,
    retry: { initialMs: 5, maxMs: 20 },
    logger: silentLogger(),
    hooks: { sent: (n) => (counts.sent += n), sendFailed: () => counts.failed++, snapshotSent: () => counts.snapshots++ },
  });
  return { queue, sender, pump, counts, setItems: (i: SnapshotItem[] | undefined) => (items = i) };
}

const nodeItem = (name: string): SnapshotItem => ({ kind: "Node", object: { metadata: { name, uid: `u-${name}`, resourceVersion: "1" }, spec: {} } });

test("events wait for the first snapshot, which supersedes them", async (t) => {
  const { queue, sender, pump, counts, setItems } = setup({ items: undefined });
  t.after(() => pump.stop());
  pump.start();
  queue.push("Node/u-a", node("a", "1"));
  pump.requestSnapshot();
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(sender.messages.length, 0, "nothing before the informers synced");
  setItems([nodeItem("a")]);
  pump.requestSnapshot(); // what the informer set does on sync
  await waitFor(() => counts.snapshots === 1);
  const body = sender.messages[0]?.body as { kind: string; objects: unknown[]; snapshotId: string; part: number; parts: number };
  assert.equal(body.kind, "Snapshot");
  assert.equal(body.snapshotId, "run-1");
  assert.equal(body.objects.length, 1);
  assert.equal(sender.messages[0]?.messageId, "Snapshot/run-1/1");
  assert.equal(sender.messages[0]?.sessionId, "c1");
  assert.equal(queue.size, 0, "the queued event was covered by the snapshot");
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(sender.messages.length, 1);
});

test("after the snapshot, events go out in batches with core's messageId, sessionId = cluster, JSON", async (t) => {
  const { queue, sender, pump, counts } = setup({ items: [], capacity: 3, waitMs: 20 });
  t.after(() => pump.stop());
  pump.start();
  pump.requestSnapshot();
  await waitFor(() => counts.snapshots === 1);
  for (const n of ["a", "b", "c", "d", "e"]) queue.push(`Node/u-${n}`, node(n, "2"));
  await waitFor(() => queue.size === 0 && pump.idle);
  const eventBatches = sender.batches.slice(1);
  assert.deepEqual(eventBatches.map((b) => b.length), [3, 2], "tryAddMessage limit splits batches");
  const m = eventBatches[0]?.[0];
  assert.equal(m?.messageId, "Node/u-a/2");
  assert.equal(m?.sessionId, "c1");
  assert.equal(m?.contentType, "application/json");
  assert.equal((m?.body as ObjectEvent).op, "upsert");
  assert.equal(counts.sent, 6);
});

test("a failed send keeps the events queued and retries with backoff; nothing is lost", async (t) => {
  const { queue, sender, pump, counts } = setup({ items: [] });
  t.after(() => pump.stop());
  pump.start();
  pump.requestSnapshot();
  await waitFor(() => counts.snapshots === 1);
  sender.failures = 3;
  queue.push("Node/u-a", node("a", "1"));
  queue.push("Node/u-b", node("b", "1"));
  await waitFor(() => pump.serviceBusHealthy === false);
  queue.push("Node/u-a", node("a", "2")); // changes during the outage coalesce
  await waitFor(() => queue.size === 0, 3000, "queue drained");
  assert.equal(counts.failed, 3);
  assert.equal(pump.serviceBusHealthy, true);
  const ids = sender.messages.slice(1).map((m) => m.messageId);
  assert.deepEqual(ids.sort(), ["Node/u-a/2", "Node/u-b/1"]);
});

test("a snapshot interrupted by an outage resumes with its unsent parts", async (t) => {
  const items = Array.from({ length: 30 }, (_, i) => nodeItem(`node-${String(i).padStart(3, "0")}`));
  const { sender, pump, counts } = setup({ items, capacity: 1, maxBody: 1024 });
  t.after(() => pump.stop());
  sender.failAttempts.add(2).add(3); // the outage starts after the first part went out
  pump.start();
  pump.requestSnapshot();
  await waitFor(() => counts.snapshots === 1, 3000, "snapshot complete");
  const parts = sender.messages.map((m) => m.body as { part: number; parts: number; objects: SnapshotItem[]; snapshotId: string });
  assert.ok(parts.length > 1, "chunked");
  assert.deepEqual(parts.map((p) => p.part), parts.map((_, i) => i + 1), "each part once, in order");
  assert.ok(parts.every((p) => p.parts === parts.length && p.snapshotId === "run-1"));
  assert.equal(parts.flatMap((p) => p.objects).length, 30);
  assert.equal(counts.failed, 2);
});

test("batch max messages caps a batch even when the SDK batch has room", async (t) => {
  const { queue, sender, pump, counts } = setup({ items: [], maxMessages: 2, waitMs: 50 });
  t.after(() => pump.stop());
  pump.start();
  pump.requestSnapshot();
  await waitFor(() => counts.snapshots === 1);
  for (const n of ["a", "b", "c"]) queue.push(`Node/u-${n}`, node(n, "1"));
  await waitFor(() => queue.size === 0);
  assert.deepEqual(sender.batches.slice(1).map((b) => b.length), [2, 1]);
});

test("an event too large for any batch is dropped instead of blocking the queue", async (t) => {
  const { queue, sender, pump, counts } = setup({ items: [] });
  t.after(() => pump.stop());
  pump.start();
  pump.requestSnapshot();
  await waitFor(() => counts.snapshots === 1);
  sender.capacity = 0; // nothing fits any more
  queue.push("Node/u-a", node("a", "1"));
  queue.push("Node/u-b", node("b", "1"));
  await waitFor(() => queue.size === 0);
  assert.equal(sender.messages.length, 1, "only the snapshot");
  assert.equal(counts.failed, 0);
  // a snapshot that cannot fit is abandoned (logged), not retried forever
  pump.requestSnapshot();
  await waitFor(() => pump.idle);
  assert.equal(counts.snapshots, 1);
});

test("stop() ends a pump waiting in backoff promptly", async () => {
  const { queue, sender, pump, counts } = setup({ items: [] });
  pump.start();
  pump.requestSnapshot();
  await waitFor(() => counts.snapshots === 1);
  sender.failures = 1000;
  queue.push("Node/u-a", node("a", "1"));
  await waitFor(() => counts.failed >= 1);
  const t0 = Date.now();
  await pump.stop();
  assert.ok(Date.now() - t0 < 500);
});
