// Client functions use the real durable-functions DurableClient against the host's RPC endpoint.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { TestContext } from "node:test";
import { timerInput } from "../../../sandbox/functions-kit/index.ts";
import type { HttpResult } from "../../../sandbox/functions-kit/index.ts";
import { startFixtureHost } from "../../fixtures/durable-app/host.ts";

type Host = Awaited<ReturnType<typeof startFixtureHost>>;

async function host(t: TestContext): Promise<Host> {
  const h = await startFixtureHost();
  t.after(() => h.stop());
  return h;
}

function start(h: Host, name: string, id: string, body?: unknown): Promise<HttpResult> {
  return h.fixture.app.invokeHttp("startOrchestration", {
    method: "POST", url: `http://localhost:7071/api/orchestrators/${name}/${id}`, params: { name, id },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  }, { inputs: { durableClient: h.durableClientInput() } });
}

async function action(h: Host, id: string, act: string, event?: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await h.fixture.app.invokeHttp("instanceAction", {
    method: "POST", url: `http://localhost:7071/api/instances/${id}/${act}`, params: { id, action: act, ...(event ? { event } : {}) },
    body: JSON.stringify(body ?? null),
  }, { inputs: { durableClient: h.durableClientInput() } });
  return res.json() as Record<string, unknown>;
}

test("an HTTP starter starts an orchestration and reads its status through DurableClient", async (t) => {
  const h = await host(t);
  const res = await start(h, "helloOrch", "via-client", "Ada");
  assert.equal(res.status, 202);
  const body = res.json() as { id: string; runtimeStatus: string };
  assert.equal(body.id, "via-client");
  assert.ok(["Pending", "Running", "Completed"].includes(body.runtimeStatus));
  await h.runUntilIdle();
  const s = await action(h, "via-client", "status");
  assert.deepEqual(s, { runtimeStatus: "Completed", output: "Hello Ada", customStatus: null, input: "Ada" });
});

test("startNew with the id of a running instance fails (HTTP 500), a finished one is replaced", async (t) => {
  const h = await host(t);
  await start(h, "approval", "dup");
  await h.runUntilIdle();
  await assert.rejects(start(h, "approval", "dup"), /unexpected status code: 500.*already exists/s);
  await action(h, "dup", "raise", "approve", "first");
  await h.waitFor("dup", "Completed");
  const res = await start(h, "approval", "dup");
  assert.equal(res.status, 202);
  await h.runUntilIdle();
  const s = await h.getStatus("dup");
  assert.equal(s?.runtimeStatus, "Running", "a new execution replaced the completed one");
  assert.equal(s?.output, null);
});

test("raiseEvent and terminate through DurableClient, with 410 and 404 semantics", async (t) => {
  const h = await host(t);
  await start(h, "approval", "ev1");
  await h.runUntilIdle();
  await action(h, "ev1", "raise", "approve", { ok: 1 });
  await h.runUntilIdle();
  assert.deepEqual((await h.getStatus("ev1"))?.output, { ok: 1 });
  // 410 for a completed instance: the SDK treats it as success.
  assert.equal((await action(h, "ev1", "raise", "approve", 2)).runtimeStatus, "Completed");
  await assert.rejects(action(h, "missing", "raise", "approve", 2), /No instance with ID 'missing' found/);
  await start(h, "approval", "term1");
  await h.runUntilIdle();
  const s = await action(h, "term1", "terminate");
  assert.ok(["Running", "Terminated"].includes(String(s.runtimeStatus)));
  assert.equal((await h.waitFor("term1", "Terminated")).output, "by test");
});

test("a timer-triggered client function starts an orchestration", async (t) => {
  const h = await host(t);
  await h.fixture.app.invoke("resyncTimer", { trigger: timerInput({ isPastDue: true }), inputs: { durableClient: h.durableClientInput() } });
  assert.equal((await h.waitFor("from-timer", "Completed")).output, "Hello late");
});

test("the RPC endpoint answers like the extension's HTTP API", async (t) => {
  const h = await host(t);
  const base = h.rpcBaseUrl;
  let res = await fetch(`${base}orchestrators/approval/raw1`, { method: "POST", body: JSON.stringify({ a: 1 }), headers: { "content-type": "application/json" } });
  assert.equal(res.status, 202);
  const created = await res.json() as Record<string, string>;
  assert.equal(created.id, "raw1");
  assert.equal(res.headers.get("location"), created.statusQueryGetUri);
  assert.match(created.sendEventPostUri ?? "", /\/instances\/raw1\/raiseEvent\/\{eventName\}\?taskHub=PodidHub/);
  await h.runUntilIdle();
  res = await fetch(`${base}instances/raw1?showHistory=true`);
  assert.equal(res.status, 202);
  assert.ok(res.headers.get("location"));
  const running = await res.json() as { input: unknown; historyEvents: { EventType: string }[] };
  assert.deepEqual(running.input, { a: 1 });
  assert.deepEqual(running.historyEvents.map((e) => e.EventType), ["ExecutionStarted"]);
  res = await fetch(`${base}instances/raw1/raiseEvent/approve`, { method: "POST", body: "1", headers: { "content-type": "text/plain" } });
  assert.equal(res.status, 400);
  res = await fetch(`${base}instances/raw1/raiseEvent/approve`, { method: "POST", body: "1", headers: { "content-type": "application/json" } });
  assert.equal(res.status, 202);
  await h.runUntilIdle();
  res = await fetch(`${base}instances/raw1`);
  assert.equal(res.status, 200);
  assert.equal((await res.json() as { output: unknown }).output, 1);
  res = await fetch(`${base}instances/raw1/raiseEvent/approve`, { method: "POST", body: "1", headers: { "content-type": "application/json" } });
  assert.equal(res.status, 410);
  assert.equal((await fetch(`${base}instances/nobody`)).status, 404);
  assert.equal((await fetch(`${base}orchestrators/nope`, { method: "POST" })).status, 400);
  const list = await (await fetch(`${base}instances/?runtimeStatus=Completed`)).json() as { instanceId: string; createdTime: string }[];
  assert.deepEqual(list.map((s) => s.instanceId), ["raw1"]);
  assert.match(list[0]?.createdTime ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  res = await fetch(`${base}instances/raw1`, { method: "DELETE" });
  assert.equal(res.status, 200);
  assert.equal((await fetch(`${base}instances/raw1`)).status, 404);
});
