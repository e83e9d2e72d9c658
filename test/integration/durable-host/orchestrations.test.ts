// The durable host runs real durable-functions orchestrators and writes DTFx-identical history.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { TestContext } from "node:test";
import { EventType } from "../../../sandbox/durable-host/index.ts";
import type { HistoryEvent } from "../../../sandbox/durable-host/index.ts";
import { startFixtureHost, types } from "../../fixtures/durable-app/host.ts";

async function host(t: TestContext): Promise<Awaited<ReturnType<typeof startFixtureHost>>> {
  const h = await startFixtureHost();
  t.after(() => h.stop());
  return h;
}

const ofType = (h: HistoryEvent[], type: number): HistoryEvent[] => h.filter((e) => e.EventType === type);

test("one activity: DTFx history, ids and the input/output encodings", async (t) => {
  const h = await host(t);
  const id = await h.startNew("helloOrch", { instanceId: "one", input: "Ada" });
  const s = await h.waitFor(id, "Completed");
  assert.equal(s.output, "Hello Ada");
  assert.equal(h.fixture.runs.get("hello:Ada"), 1, "the activity got Ada, not a JSON-quoted string");
  const history = await h.history(id);
  // DTFx adds TaskScheduled inside the episode that scheduled it, ExecutionCompleted at the end.
  assert.deepEqual(types(history), [12, 0, 4, 13, 12, 5, 1, 13]);
  const [scheduled] = ofType(history, EventType.TaskScheduled);
  assert.equal(scheduled?.EventId, 0);
  assert.equal(scheduled?.Name, "hello");
  const [completed] = ofType(history, EventType.TaskCompleted);
  assert.equal(completed?.TaskScheduledId, 0);
  assert.equal(completed?.Result, JSON.stringify("Hello Ada"));
});

test("fan-out with Task.all numbers the children in order within one episode", async (t) => {
  const h = await host(t);
  const id = await h.startNew("fanOut", { input: 4 });
  assert.deepEqual((await h.waitFor(id, "Completed")).output, [0, 2, 4, 6]);
  const history = await h.history(id);
  assert.deepEqual(ofType(history, EventType.TaskScheduled).map((e) => e.EventId), [0, 1, 2, 3]);
  assert.deepEqual(types(history).slice(0, 8), [12, 0, 4, 4, 4, 4, 13, 12]);
  assert.deepEqual(ofType(history, EventType.TaskCompleted).map((e) => e.TaskScheduledId).sort(), [0, 1, 2, 3]);
});

test("callActivityWithRetry: host-side retry as DTFx writes it (fail once, then succeed)", async (t) => {
  const h = await host(t);
  const id = await h.startNew("retryOrch", { instanceId: "retry-once", input: { key: "once", failTimes: 1 } });
  await h.runUntilIdle();
  let history = await h.history(id);
  assert.deepEqual(types(history), [12, 0, 4, 13, 12, 6, 10, 13]);
  const failed = ofType(history, EventType.TaskFailed)[0];
  assert.match(String(failed?.Reason), /^Activity function 'flaky' failed: flaky once failed attempt 1/);
  const timer = ofType(history, EventType.TimerCreated)[0];
  assert.equal(timer?.EventId, 1);
  assert.equal(timer?.FireAt, new Date(h.now().getTime() + 1000).toISOString(), "firstRetryInterval after the failure");
  await h.advance(999);
  assert.equal((await h.getStatus(id))?.runtimeStatus, "Running");
  await h.advance(1);
  assert.equal((await h.waitFor(id, "Completed")).output, 42);
  history = await h.history(id);
  assert.deepEqual(types(history), [12, 0, 4, 13, 12, 6, 10, 13, 12, 11, 4, 13, 12, 5, 1, 13]);
  assert.deepEqual(ofType(history, EventType.TaskScheduled).map((e) => e.EventId), [0, 2]);
  assert.equal(ofType(history, EventType.TaskCompleted)[0]?.TaskScheduledId, 2);
});

test("callActivityWithRetry exhausted: timers n+1, n+3 and DTFx's dummy timer, then the orchestration fails", async (t) => {
  const h = await host(t);
  const id = await h.startNew("retryOrch", { input: { key: "always", failTimes: 99 } });
  await h.advance(10_000);
  const s = await h.waitFor(id, "Failed");
  assert.match(String(s.output), /Orchestrator function 'retryOrch' failed: .*flaky always failed attempt 3/s);
  const history = await h.history(id);
  assert.deepEqual(ofType(history, EventType.TaskScheduled).map((e) => e.EventId), [0, 2, 4]);
  const timers = ofType(history, EventType.TimerCreated);
  assert.deepEqual(timers.map((e) => e.EventId), [1, 3, 5]);
  const start = Date.parse(history[0]?.Timestamp ?? "");
  // first attempt at t0, fails at t0 → +1 s; second at t0+1 s → +1 s; the last one fires at once.
  assert.deepEqual(timers.map((e) => Date.parse(String(e.FireAt)) - start), [1000, 2000, 2000]);
  assert.equal(h.fixture.runs.get("flaky:always"), 3);
});

test("a retry inside Task.all numbers its timer and next attempt in completion order, like the SDK", async (t) => {
  const h = await host(t);
  const id = await h.startNew("fanOutRetry", { input: "in-all" });
  await h.advance(500);
  assert.deepEqual((await h.waitFor(id, "Completed")).output, [42, 10]);
  const history = await h.history(id);
  assert.deepEqual(ofType(history, EventType.TaskScheduled).map((e) => [e.EventId, e.Name]), [[0, "flaky"], [1, "double"], [3, "flaky"]]);
  assert.deepEqual(ofType(history, EventType.TimerCreated).map((e) => e.EventId), [2]);
});

test("durable timer on the virtual clock fires when time passes fireAt", async (t) => {
  const h = await host(t);
  const id = await h.startNew("timerOrch");
  await h.runUntilIdle();
  assert.deepEqual(types(await h.history(id)), [12, 0, 10, 13]);
  await h.advance(59_999);
  assert.equal((await h.getStatus(id))?.runtimeStatus, "Running");
  await h.advance(1);
  assert.equal((await h.waitFor(id, "Completed")).output, 60_000);
  const fired = ofType(await h.history(id), EventType.TimerFired)[0];
  assert.equal(fired?.TimerId, 0);
});

test("durable timer on the real clock", async (t) => {
  const h = await startFixtureHost({ clock: "real" });
  t.after(() => h.stop());
  const started = Date.now();
  const id = await h.startNew("nap", { input: 150 });
  assert.equal((await h.waitFor(id, "Completed", 5000)).output, "rested");
  assert.ok(Date.now() - started >= 140, "the timer waited");
});

test("a failing activity fails the orchestration with the error", async (t) => {
  const h = await host(t);
  const id = await h.startNew("failing");
  const s = await h.waitFor(id, "Failed");
  assert.match(String(s.output), /^Orchestrator function 'failing' failed: .*Activity function 'boom' failed: kaboom/s);
  const history = await h.history(id);
  assert.deepEqual(types(history), [12, 0, 4, 13, 12, 6, 1, 13]);
  assert.equal(ofType(history, EventType.ExecutionCompleted)[0]?.OrchestrationStatus, "Failed");
});

test("starting an unknown orchestrator is rejected", async (t) => {
  const h = await host(t);
  await assert.rejects(h.startNew("nope"), /The function 'nope' doesn't exist/);
});
