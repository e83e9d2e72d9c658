// External events, WhenAny with timer cancellation, continueAsNew and sub-orchestrations.
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

/** Event types without the episode markers, for reading the orchestration's story. */
const story = (h: HistoryEvent[]): number[] => types(h).filter((x) => x !== 12 && x !== 13);

test("external event raised after the orchestrator waits; custom status passes through", async (t) => {
  const h = await host(t);
  const id = await h.startNew("approval", { instanceId: "ap-after" });
  const waiting = await h.waitFor(id, (s) => s.customStatus === "waiting");
  assert.equal(waiting.runtimeStatus, "Running");
  await h.raiseEvent(id, "approve", { approved: true });
  const s = await h.waitFor(id, "Completed");
  assert.deepEqual(s.output, { approved: true });
  assert.equal(s.customStatus, "decided");
  const raised = (await h.history(id)).find((e) => e.EventType === EventType.EventRaised);
  assert.equal(raised?.Name, "approve");
  assert.equal(raised?.Input, JSON.stringify({ approved: true }));
});

test("external event raised before the orchestrator waits is kept and delivered later", async (t) => {
  const h = await host(t);
  const id = await h.startNew("delayedApproval");
  await h.runUntilIdle();
  await h.raiseEvent(id, "approve", "early");
  await h.runUntilIdle();
  assert.equal((await h.getStatus(id))?.runtimeStatus, "Running", "still on its timer");
  assert.deepEqual(story(await h.history(id)), [0, 10, 15]);
  await h.advance(60_000);
  assert.equal((await h.waitFor(id, "Completed")).output, "early");
});

test("WhenAny: the event beats the timer, the timer is canceled and its firing ignored", async (t) => {
  const h = await host(t);
  const id = await h.startNew("approvalOrTimeout");
  await h.runUntilIdle();
  await h.raiseEvent(id, "approve", "yes");
  assert.deepEqual((await h.waitFor(id, "Completed")).output, { approved: "yes" });
  const before = await h.history(id);
  assert.deepEqual(story(before), [0, 10, 15, 1]);
  await h.advance(3600_000); // the canceled timer's message comes due for a completed instance
  assert.deepEqual(await h.history(id), before);
  assert.equal(h.log.at(-1)?.detail, "dropped");
});

test("WhenAny: the timer wins when no event comes", async (t) => {
  const h = await host(t);
  const id = await h.startNew("approvalOrTimeout");
  await h.advance(3600_000);
  assert.equal((await h.waitFor(id, "Completed")).output, "timed out");
  assert.deepEqual(story(await h.history(id)), [0, 10, 11, 1]);
});

test("continueAsNew three times: each execution starts from a fresh history", async (t) => {
  const h = await host(t);
  const id = await h.startNew("counter", { instanceId: "counter", input: 0 });
  const s = await h.waitFor(id, "Completed");
  assert.equal(s.output, "done at 3");
  assert.equal(s.input, 3);
  const history = await h.history(id);
  // DTFx starts the next execution inside the same work item: [12, 0, 13] then the episode's work.
  assert.deepEqual(types(history), [12, 0, 13, 4, 13, 12, 5, 1, 13]);
  assert.equal(history[1]?.Input, "3");
  const episodes = h.log.filter((l) => l.kind === "episode" && l.instanceId === id);
  assert.equal(episodes.length, 2, "executions 0..3 ran in the first episode");
});

test("sub-orchestrations: named and generated instance ids, completion and failure", async (t) => {
  const h = await host(t);
  const id = await h.startNew("parent", { instanceId: "p1" });
  const s = await h.waitFor(id, ["Completed", "Failed"]);
  assert.equal(s.runtimeStatus, "Completed");
  const out = s.output as { named: string; auto: string; failure: string };
  assert.equal(out.named, "Hello Named");
  assert.equal(out.auto, "Hello Auto");
  assert.match(out.failure, /Orchestrator function 'failing' failed: .*kaboom/s);
  const history = await h.history(id);
  assert.deepEqual(story(history), [0, 7, 8, 7, 8, 7, 9, 1]);
  const created = history.filter((e) => e.EventType === EventType.SubOrchestrationInstanceCreated);
  assert.deepEqual(created.map((e) => e.EventId), [0, 1, 2]);
  const exec = (history[1]?.OrchestrationInstance as { ExecutionId: string }).ExecutionId;
  assert.deepEqual(created.map((e) => e.InstanceId), ["p1-child", `${exec}:1`, "p1-failing"]);
  const child = await h.history("p1-child");
  assert.deepEqual((child[1]?.ParentInstance as { OrchestrationInstance: { InstanceId: string } }).OrchestrationInstance.InstanceId, "p1");
  assert.equal((await h.getStatus(`${exec}:1`))?.output, "Hello Auto");
  assert.equal((await h.getStatus("p1-failing"))?.runtimeStatus, "Failed");
});

test("suspend holds events back until resume; terminate ends a waiting instance", async (t) => {
  const h = await host(t);
  const id = await h.startNew("approval");
  await h.runUntilIdle();
  await h.suspend(id, "maintenance");
  await h.waitFor(id, "Suspended");
  await h.raiseEvent(id, "approve", 1);
  await h.runUntilIdle();
  assert.equal((await h.getStatus(id))?.runtimeStatus, "Suspended");
  await h.resume(id, "done");
  assert.equal((await h.waitFor(id, "Completed")).output, 1);
  assert.deepEqual(story(await h.history(id)), [0, 19, 20, 15, 1]);

  const other = await h.startNew("approval");
  await h.runUntilIdle();
  await h.terminate(other, "no longer needed");
  const s = await h.waitFor(other, "Terminated");
  assert.equal(s.output, "no longer needed");
  await assert.rejects(h.raiseEvent(other, "approve", 1), /is Terminated/);
});
