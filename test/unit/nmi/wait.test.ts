// waitWhileTransient on a quiet store: every poll round registers a change waiter, and each
// round must take its waiter away again, or a burst of waiting requests would leave
// requests × rounds closures behind until the next informer event.
import assert from "node:assert/strict";
import { test } from "node:test";
import { waitWhileTransient } from "../../../nmi/pipeline/wait.ts";
import { NmiStore } from "../../../nmi/state/store.ts";
import type { Clock } from "../../../nmi/tokens/types.ts";
import { pod } from "../../helpers/nmi-fixtures.ts";

/** A clock whose sleeps end at once and move time on by their length. */
function steppingClock(): Clock {
  let t = 0;
  return {
    now: () => t,
    sleep: (ms) => { t += ms; return new Promise((r) => setImmediate(r)); },
  };
}

test("waiting out the budget on a quiet store leaves no change waiter behind", async () => {
  const store = new NmiStore([]);
  const clock = steppingClock();
  let rounds = 0;
  const caller = { signal: new AbortController().signal };
  const waits = Array.from({ length: 20 }, () => waitWhileTransient(() => { rounds++; return { transient: true }; }, {
    store, clock, deadline: 1000, pollIntervalMs: 50, caller,
  }));
  const decisions = await Promise.all(waits);
  assert.ok(decisions.every((d) => d.transient), "budget spent, decision still transient");
  assert.ok(rounds > 20, "each request polled several rounds");
  assert.equal(store.waiting, 0);
});

test("a change during the wait wakes the request at once, and it settles", async () => {
  const store = new NmiStore([]);
  let settled = false;
  const never: Clock = { now: () => 0, sleep: (_ms, signal) => new Promise((r) => signal?.addEventListener("abort", () => r(), { once: true })) };
  const waiting = waitWhileTransient(() => ({ transient: !settled }), {
    store, clock: never, deadline: 1000, pollIntervalMs: 50, caller: { signal: new AbortController().signal },
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(store.waiting, 1);
  settled = true;
  store.upsert("pods", pod("x", { ip: "10.0.0.9" }));
  assert.equal((await waiting).transient, false);
  assert.equal(store.waiting, 0);
});
