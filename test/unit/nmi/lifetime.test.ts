// NMI's stop signal fan-out: one controller per holder, none left behind, all aborted by stop().
import assert from "node:assert/strict";
import { test } from "node:test";
import { Lifetime } from "../../../nmi/pipeline/lifetime.ts";

test("stop() aborts every live holder; release() forgets one without aborting it", () => {
  const life = new Lifetime();
  const a = life.scope();
  const b = life.scope();
  assert.equal(life.size, 2);
  b.release();
  b.release();
  assert.equal(life.size, 1);
  life.stop();
  assert.equal(a.signal.aborted, true);
  assert.equal(b.signal.aborted, false, "released: not NMI's any more");
  assert.equal(life.size, 0);
  assert.equal(life.scope().signal.aborted, true, "after stop, new holders start aborted");
  assert.equal(life.isStopped, true);
});

test("a holder aborting itself leaves the others alone and is unregistered", () => {
  const life = new Lifetime();
  const a = life.scope();
  const b = life.scope();
  a.abort();
  assert.equal(a.signal.aborted, true);
  assert.equal(b.signal.aborted, false);
  assert.equal(life.size, 1);
});

test("1000 holders add no listener to any shared signal (no MaxListenersExceededWarning)", async () => {
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => void warnings.push(w);
  process.on("warning", onWarning);
  try {
    const life = new Lifetime();
    const holders = Array.from({ length: 1000 }, () => life.scope());
    for (const h of holders) h.signal.addEventListener("abort", () => undefined, { once: true });
    life.stop();
    assert.ok(holders.every((h) => h.signal.aborted));
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off("warning", onWarning);
  }
  assert.deepEqual(warnings.map((w) => w.message), []);
});
