// A host stopped mid-orchestration and restarted on the same store resumes without re-running
// completed activities (Azure Tables on Azurite), and re-runs an abandoned in-flight activity
// (at-least-once, as DTFx).
import assert from "node:assert/strict";
import { test } from "node:test";
import { startAzurite } from "../../../sandbox/azurite.ts";
import { MemoryStore, TableStore } from "../../../sandbox/durable-host/index.ts";
import { startFixtureHost, types } from "../../fixtures/durable-app/host.ts";

async function until(pred: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

test("Azure Tables store: stop during an activity/timer chain, a new host completes it, each activity once", async (t) => {
  const azurite = await startAzurite();
  t.after(() => azurite.stop());
  const first = await startFixtureHost({ store: new TableStore(azurite.connectionString, "RestartHub") });
  const id = await first.startNew("chain", { instanceId: "chain-1", input: "r1" });
  await first.runUntilIdle();
  await first.advance(60_000);
  assert.equal((await first.getStatus(id))?.runtimeStatus, "Running");
  const stoppedAt = first.now();
  await first.stop();
  const runs = first.fixture.runs;
  assert.deepEqual([runs.get("step:r1:0"), runs.get("step:r1:1"), runs.get("step:r1:2")], [1, 1, undefined]);

  const second = await startFixtureHost({ store: new TableStore(azurite.connectionString, "RestartHub"), virtualStart: stoppedAt });
  t.after(() => second.stop());
  await second.runUntilIdle();
  assert.equal(runs.get("step:r1:1"), 1, "nothing re-ran on resume");
  await second.advance(60_000);
  assert.equal(runs.get("step:r1:2"), 1);
  await second.advance(60_000);
  const s = await second.waitFor(id, "Completed");
  assert.deepEqual(s.output, [0, 10, 20]);
  assert.deepEqual([runs.get("step:r1:0"), runs.get("step:r1:1"), runs.get("step:r1:2")], [1, 1, 1]);
  assert.deepEqual(types(await second.history(id)),
    [12, 0, 4, 13, 12, 5, 10, 13, 12, 11, 4, 13, 12, 5, 10, 13, 12, 11, 4, 13, 12, 5, 10, 13, 12, 11, 1, 13]);
});

test("an activity in flight when the host is abandoned runs again on the next host (at-least-once)", async (t) => {
  const store = new MemoryStore();
  const first = await startFixtureHost({ store });
  const { gates, runs } = first.fixture;
  const id = await first.startNew("gatedOrch", { input: "g1" });
  await until(() => gates.has("g1"));
  await first.stop({ abandonInFlight: true });
  gates.get("g1")?.("too late"); // the abandoned call finishes; its result is dropped
  gates.delete("g1");

  const second = await startFixtureHost({ store });
  t.after(() => second.stop());
  await until(() => gates.has("g1"));
  assert.equal(runs.get("gated:g1"), 2);
  gates.get("g1")?.("second run");
  assert.equal((await second.waitFor(id, "Completed")).output, "second run");
});
