import assert from "node:assert/strict";
import { test } from "node:test";
import {
  byteLength, chunkSnapshot, commandMessageId, DeadLetterReason, eventMessageId, MAX_BODY_BYTES, MAX_MESSAGE_BYTES,
  parseMicCommand, parseMicEvent, snapshotMessageId, SnapshotItemTooLargeError, trimNode, trimPod,
  type ObjectEvent, type SnapshotItem,
} from "../../../core/index.ts";

const podEvent = (rv: string, op: "upsert" | "delete" = "upsert"): ObjectEvent => ({
  v: 1, cluster: "prod-weu", kind: "Pod", op,
  object: { metadata: { name: "web-0", namespace: "shop", uid: "u-1", resourceVersion: rv, labels: { aadpodidbinding: "web" } }, spec: { nodeName: "n1" }, status: { phase: "Running" } },
});

test("valid events parse from JSON objects, strings and bytes", () => {
  const ev = podEvent("10");
  for (const body of [ev, JSON.stringify(ev), Buffer.from(JSON.stringify(ev))]) {
    const r = parseMicEvent(body, "prod-weu");
    assert.equal(r.ok, true);
    if (r.ok) assert.equal(r.message.kind, "Pod");
  }
});

test("bad messages get a dead-letter reason instead of throwing", () => {
  const cases: Array<[unknown, string, string | undefined]> = [
    ["{not json", DeadLetterReason.MalformedJson, undefined],
    [[1, 2], DeadLetterReason.Invalid, undefined],
    [{ ...podEvent("1"), v: 2 }, DeadLetterReason.UnsupportedVersion, undefined],
    [{ ...podEvent("1"), v: undefined }, DeadLetterReason.UnsupportedVersion, undefined],
    [{ ...podEvent("1"), kind: "Secret" }, DeadLetterReason.Invalid, undefined],
    [{ ...podEvent("1"), op: "patch" }, DeadLetterReason.Invalid, undefined],
    [{ ...podEvent("1"), cluster: "a/b" }, DeadLetterReason.Invalid, undefined],
    [{ ...podEvent("1"), object: { metadata: {} } }, DeadLetterReason.Invalid, undefined],
    [podEvent("1"), DeadLetterReason.WrongSession, "other-cluster"],
    [{ v: 1, cluster: "c", kind: "Snapshot", snapshotId: "s", part: 3, parts: 2, objects: [] }, DeadLetterReason.Invalid, undefined],
  ];
  for (const [body, reason, session] of cases) {
    const r = parseMicEvent(body, session);
    assert.equal(r.ok, false, JSON.stringify(body));
    if (!r.ok) {
      assert.equal(r.reason, reason, JSON.stringify(body));
      assert.ok(r.description.length > 0);
    }
  }
});

test("messageIds: one per object version, deletes distinct from the last upsert", () => {
  assert.equal(eventMessageId(podEvent("10")), "Pod/u-1/10");
  assert.equal(eventMessageId(podEvent("10")), eventMessageId(podEvent("10")), "resend deduplicates");
  assert.notEqual(eventMessageId(podEvent("11")), eventMessageId(podEvent("10")));
  assert.equal(eventMessageId(podEvent("10", "delete")), "Pod/u-1/10/delete");
  assert.equal(snapshotMessageId({ snapshotId: "abc", part: 2 }), "Snapshot/abc/2");
  const noRv = podEvent("x");
  delete noRv.object.metadata.resourceVersion;
  assert.match(eventMessageId(noRv), /^Pod\/u-1\/h[0-9a-f]{16}$/);
});

test("commands: parse, and epochs separate re-applies of identical content", () => {
  const cmd = {
    v: 1 as const, cluster: "c1", op: "apply" as const,
    assignedIdentity: { metadata: { name: "p-d-i", namespace: "default", labels: { nodename: "n1" } }, spec: { pod: "p", podNamespace: "d", nodename: "n1" }, status: { status: "Assigned" } },
  };
  const parsed = parseMicCommand(JSON.stringify(cmd), "c1");
  assert.equal(parsed.ok, true);
  assert.equal(commandMessageId(cmd, 1), commandMessageId(cmd, 1));
  assert.notEqual(commandMessageId(cmd, 1), commandMessageId(cmd, 2));
  assert.notEqual(commandMessageId(cmd, 1), commandMessageId({ ...cmd, op: "delete" }, 1));
  assert.ok(commandMessageId(cmd, 1).length <= 128);
  const bad = parseMicCommand({ ...cmd, assignedIdentity: { metadata: { name: "x" }, spec: {} } });
  assert.equal(bad.ok, false);
});

test("snapshot chunking keeps every part under the limit and loses nothing", () => {
  const items: SnapshotItem[] = Array.from({ length: 3000 }, (_, i) => ({
    kind: "Pod",
    object: trimPod({ metadata: { name: `pod-${i}`, namespace: "ns", uid: `uid-${i}`, resourceVersion: String(i), labels: { aadpodidbinding: "sel", app: "x".repeat(40) } }, spec: { nodeName: `node-${i % 7}` }, status: { phase: "Running", podIP: `10.0.${i % 250}.${i % 200}` } }),
  }));
  const parts = chunkSnapshot("c1", "snap-1", items);
  assert.ok(parts.length > 1, "3000 pods need several messages");
  for (const part of parts) {
    assert.ok(byteLength(part) <= MAX_BODY_BYTES, `part ${part.part} is ${byteLength(part)} bytes`);
    assert.ok(byteLength(part) < MAX_MESSAGE_BYTES);
    assert.equal(part.parts, parts.length);
    assert.equal(parseMicEvent(part).ok, true);
  }
  assert.deepEqual(parts.map((p) => p.part), parts.map((_, i) => i + 1));
  assert.deepEqual(parts.flatMap((p) => p.objects), items, "order and content preserved");
  const empty = chunkSnapshot("c1", "snap-2", []);
  assert.equal(empty.length, 1);
  assert.deepEqual(empty[0]?.objects, []);
});

test("snapshot chunking refuses an object larger than one message", () => {
  const huge: SnapshotItem = { kind: "Node", object: { metadata: { name: "n", labels: { big: "y".repeat(300_000) } }, spec: {} } };
  assert.throws(() => chunkSnapshot("c1", "s", [huge]), SnapshotItemTooLargeError);
});

test("trimming keeps only what the MIC needs", () => {
  const pod = trimPod({
    metadata: { name: "p", namespace: "d", uid: "u", resourceVersion: "5", labels: { aadpodidbinding: "x" } },
    spec: { nodeName: "n1" },
    status: { phase: "Running", podIP: "10.1.1.1" },
  });
  assert.deepEqual(pod, { metadata: { name: "p", namespace: "d", uid: "u", resourceVersion: "5", labels: { aadpodidbinding: "x" } }, spec: { nodeName: "n1" }, status: { phase: "Running", podIP: "10.1.1.1" } });
  const node = trimNode({ metadata: { name: "n1", uid: "nu", resourceVersion: "7", labels: { "kubernetes.io/os": "linux" }, annotations: { a: "b" } }, spec: { providerID: "azure:///x" } });
  assert.deepEqual(node, { metadata: { name: "n1", uid: "nu", resourceVersion: "7" }, spec: { providerID: "azure:///x" } });
});
