// The functions kit captures registrations with their real binding metadata and invokes
// handlers through @azure/functions' own invocation model (RPC typed data in and out).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { HttpRequest, InvocationContext, Timer } from "@azure/functions";
import {
  InvocationError, installFunctionsCore, serviceBusBatch, serviceBusMessage, timerInput, typed,
} from "../../sandbox/functions-kit/index.ts";

const kit = installFunctionsCore();
// The app module must be loaded after the kit: @azure/functions caches the core API on first use.
const { app, trigger } = await import("@azure/functions");
const seen: Record<string, unknown> = {};
let preInvocations = 0;

app.hook.preInvocation(() => { preInvocations++; });
app.http("clusterStatus", {
  route: "clusters/{cluster}/status", methods: ["GET"], authLevel: "function",
  handler: (req: HttpRequest) => ({ jsonBody: { cluster: req.params.cluster, verbose: req.query.get("verbose"), who: req.headers.get("x-who") } }),
});
app.post("resync", {
  route: "clusters/{cluster}/resync", authLevel: "function",
  handler: async (req: HttpRequest) => ({ status: 202, body: `resync ${req.params.cluster}: ${await req.text()}`, headers: { "x-podid": "1" } }),
});
app.timer("resyncTimer", {
  schedule: "0 */5 * * * *",
  handler: (timer: Timer) => { seen.timer = timer; },
});
app.serviceBusQueue("micEvents", {
  queueName: "mic-events", connection: "ServiceBus", isSessionsEnabled: true,
  handler: (message: unknown, ctx: InvocationContext) => { seen.message = message; seen.metadata = ctx.triggerMetadata; },
});
app.serviceBusQueue("micEventsBatch", {
  queueName: "mic-events", connection: "ServiceBus", cardinality: "many",
  handler: (messages: unknown, ctx: InvocationContext) => { seen.batch = messages; seen.batchMetadata = ctx.triggerMetadata; },
});
app.generic("echo", {
  trigger: trigger.generic({ type: "customTrigger" }),
  handler: (input: unknown, ctx: InvocationContext) => { ctx.log("echo", input); if (input === "fail") throw new Error("asked to fail"); return input; },
});

test("installFunctionsCore is idempotent and captures every registration with its binding metadata", () => {
  assert.equal(installFunctionsCore(), kit);
  assert.deepEqual(kit.names().sort(), ["clusterStatus", "echo", "micEvents", "micEventsBatch", "resync", "resyncTimer"]);
  assert.equal(kit.hooks("preInvocation"), 1);
  const http = kit.registration("clusterStatus");
  assert.equal(http.triggerType, "httpTrigger");
  assert.equal(http.trigger.metadata.route, "clusters/{cluster}/status");
  assert.equal(http.trigger.metadata.authLevel, "function");
  assert.deepEqual(http.trigger.metadata.methods, ["GET"]);
  assert.deepEqual(http.bindings.map((b) => [b.name, b.type, b.direction]).at(-1), ["$return", "http", "out"]);
  assert.deepEqual(kit.registration("resync").trigger.metadata.methods, ["POST"]);
  assert.equal(kit.registration("resyncTimer").trigger.metadata.schedule, "0 */5 * * * *");
  const sb = kit.registration("micEvents").trigger.metadata;
  assert.deepEqual([sb.type, sb.queueName, sb.connection, sb.isSessionsEnabled], ["serviceBusTrigger", "mic-events", "ServiceBus", true]);
  assert.equal(kit.registration("micEventsBatch").trigger.metadata.cardinality, "many");
  assert.match(kit.registration("micEvents").trigger.name, /^serviceBusTrigger[0-9a-f]{10}$/);
});

test("HTTP: request typed data in, the HTTP output binding read back", async () => {
  const before = preInvocations;
  const res = await kit.invokeHttp("clusterStatus", {
    url: "http://localhost:7071/api/clusters/c1/status?verbose=yes", params: { cluster: "c1" }, headers: { "x-who": "test" },
  });
  assert.equal(res.status, 200);
  assert.deepEqual(res.json(), { cluster: "c1", verbose: "yes", who: "test" });
  assert.equal(preInvocations, before + 1, "preInvocation hooks run");
  const post = await kit.invokeHttp("resync", { method: "POST", url: "http://localhost/api/clusters/c2/resync", params: { cluster: "c2" }, body: "now" });
  assert.equal(post.status, 202);
  assert.equal(post.headers["x-podid"], "1");
  assert.equal(post.text(), "resync c2: now");
});

test("timer: the host's PascalCase timer info arrives camelCased", async () => {
  await kit.invoke("resyncTimer", { trigger: timerInput({ isPastDue: true, last: new Date("2024-01-01T00:00:00Z") }) });
  const timer = seen.timer as Timer;
  assert.equal(timer.isPastDue, true);
  assert.equal(timer.scheduleStatus.last, "2024-01-01T00:00:00.000Z");
  assert.deepEqual(timer.schedule, { adjustForDST: true });
});

test("Service Bus, one message: JSON body parsed, host trigger metadata camelCased", async () => {
  const msg = serviceBusMessage({
    body: { v: 1, kind: "snapshot" }, messageId: "m-1", sessionId: "cluster-a", sequenceNumber: 7,
    enqueuedTimeUtc: new Date("2024-02-02T00:00:00Z"), contentType: "application/json", applicationProperties: { Source: "fwd" },
  });
  await kit.invoke("micEvents", msg);
  assert.deepEqual(seen.message, { v: 1, kind: "snapshot" });
  const md = seen.metadata as Record<string, unknown>;
  assert.equal(md.messageId, "m-1");
  assert.equal(md.deliveryCount, 1, "the host's DeliveryCount is 1 on first delivery");
  assert.equal(md.sessionId, "cluster-a");
  assert.equal(md.sequenceNumber, 7);
  assert.equal(md.enqueuedTimeUtc, "2024-02-02T00:00:00.000Z");
  assert.equal(md.contentType, "application/json");
  // The library camelCases nested keys too: application property names change case.
  assert.deepEqual(md.applicationProperties, { source: "fwd" });
});

test("Service Bus, batch (cardinality many): bodies as a list, metadata as …Array", async () => {
  await kit.invoke("micEventsBatch", serviceBusBatch([
    { body: { n: 1 }, messageId: "a", sessionId: "s", deliveryCount: 1 },
    { body: "plain text", messageId: "b", sessionId: "s", deliveryCount: 3 },
  ]));
  assert.deepEqual(seen.batch, [{ n: 1 }, "plain text"]);
  const md = seen.batchMetadata as Record<string, unknown>;
  assert.deepEqual(md.messageIdArray, ["a", "b"]);
  assert.deepEqual(md.deliveryCountArray, [1, 3]);
  assert.deepEqual(md.sessionIdArray, ["s", "s"]);
  assert.equal((md.enqueuedTimeUtcArray as unknown[]).length, 2);
});

test("generic inputs: string typed data is JSON-parsed when it can be; failures surface as InvocationError", async () => {
  assert.deepEqual((await kit.invoke("echo", { trigger: typed.string('{"a":1}') })).returnValue, { a: 1 });
  const plain = await kit.invoke("echo", { trigger: typed.string("plain") });
  assert.equal(plain.returnValue, "plain");
  assert.deepEqual(plain.response.returnValue, { string: "plain" });
  assert.ok(plain.logs.some((l) => l.category === "user" && l.message.includes("echo plain")));
  assert.deepEqual((await kit.invoke("echo", { trigger: typed.json([1, 2]) })).returnValue, [1, 2]);
  await assert.rejects(kit.invoke("echo", { trigger: typed.string("fail") }), (e: unknown) =>
    e instanceof InvocationError && e.message === "asked to fail" && e.cause instanceof Error);
  await assert.rejects(kit.invoke("nope"), /not registered/);
});
