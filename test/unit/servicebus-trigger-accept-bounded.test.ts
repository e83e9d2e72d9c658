// acceptBounded: the trigger driver's guard against a session accept that never settles
// (see sandbox/servicebus-trigger/receive-loops.ts). Each way out must settle exactly once,
// and a receiver that arrives after giving up must be closed, not leaked.
import assert from "node:assert/strict";
import { test } from "node:test";
import { AcceptTimeoutError, acceptBounded } from "../../sandbox/servicebus-trigger/receive-loops.ts";

class FakeReceiver {
  closed = 0;
  close(): Promise<void> { this.closed++; return Promise.resolve(); }
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

test("a prompt accept resolves with the receiver", async () => {
  const r = new FakeReceiver();
  assert.equal(await acceptBounded(Promise.resolve(r), new AbortController().signal, 1000), r);
  assert.equal(r.closed, 0);
});

test("an accept error is passed through", async () => {
  await assert.rejects(acceptBounded(Promise.reject(new Error("SessionCannotBeLocked")), new AbortController().signal, 1000), /SessionCannotBeLocked/);
});

test("an accept that never settles times out, and a receiver arriving later is closed", async () => {
  const d = deferred<FakeReceiver>();
  await assert.rejects(acceptBounded(d.promise, new AbortController().signal, 20), AcceptTimeoutError);
  const late = new FakeReceiver();
  d.resolve(late);
  await new Promise((r) => setImmediate(r));
  assert.equal(late.closed, 1);
});

test("stop (abort) ends the wait at once, before the timeout", async () => {
  const d = deferred<FakeReceiver>();
  const ac = new AbortController();
  const started = Date.now();
  const waiting = acceptBounded(d.promise, ac.signal, 60_000);
  ac.abort();
  await assert.rejects(waiting, /accept aborted/);
  assert.ok(Date.now() - started < 5000);
  const late = new FakeReceiver();
  d.resolve(late);
  await new Promise((r) => setImmediate(r));
  assert.equal(late.closed, 1);
});

test("an already-aborted signal rejects without waiting", async () => {
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(acceptBounded(deferred<FakeReceiver>().promise, ac.signal, 60_000), /accept aborted/);
});
