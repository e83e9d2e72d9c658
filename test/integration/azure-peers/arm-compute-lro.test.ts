// Long-running identity updates through the real @azure/arm-compute poller: Azure-AsyncOperation
// polling, changes visible only on completion, concurrent writes (409 or preemption), failed
// operations, 429 + Retry-After, scripted 5xx and latency.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { RestError } from "@azure/core-rest-pipeline";
import { RG, startAzureFixture, SUB, type AzureFixture } from "./fixtures.ts";

let fx: AzureFixture;
before(async () => { fx = await startAzureFixture({ operationDurationMs: 150 }); });
after(async () => { await fx.close(); });

const fast = { updateIntervalInMs: 20 };
const scaleSet = (name: string, userAssignedIdentities: string[] = []) =>
  fx.arm.addScaleSet({ subscriptionId: SUB, resourceGroup: RG, name, location: "westeurope", userAssignedIdentities });
const addIdentity = (id: string) => ({ identity: { type: "UserAssigned" as const, userAssignedIdentities: { [id]: {} } } });
const uaiKeys = (v: { identity?: { userAssignedIdentities?: Record<string, unknown> } }) =>
  Object.keys(v.identity?.userAssignedIdentities ?? {}).map((k) => k.toLowerCase());
const isRest = (status: number, code?: string) => (e: unknown) =>
  e instanceof RestError && e.statusCode === status && (code === undefined || e.code === code);

test("the poller follows Azure-AsyncOperation; GET shows the old state until the operation completes", async () => {
  const a = fx.identity("lro-a");
  const id = scaleSet("vmss-lro");
  const client = fx.client();
  fx.arm.clearLog();
  const poller = client.virtualMachineScaleSets.update(RG, "vmss-lro", addIdentity(a), fast);
  await poller.submitted();
  const during = await client.virtualMachineScaleSets.get(RG, "vmss-lro");
  assert.equal(during.provisioningState, "Updating");
  assert.equal(during.identity, undefined, "not applied while the operation runs");
  assert.deepEqual(fx.arm.identitiesOf(id), []);
  const done = await poller;
  assert.deepEqual(uaiKeys(done), [a.toLowerCase()]);
  assert.equal(done.provisioningState, "Succeeded");
  const trail = fx.arm.log.map((l) => `${l.method} ${l.path.includes("/operations/") ? (l.path.includes("monitor=true") ? "monitor" : "status") : "vmss"} ${l.status}`);
  assert.equal(trail[0], "PATCH vmss 200");
  assert.ok(trail.filter((t) => t === "GET status 200").length >= 2, `several status polls: ${trail.join(", ")}`);
  assert.equal(trail.at(-1), "GET monitor 200", "the final GET follows Location");
});

test("raw PATCH: LRO headers point back to the peer; the status document goes InProgress → Succeeded", async () => {
  const a = fx.identity("raw-a");
  scaleSet("vmss-raw");
  fx.arm.setOperationDuration(undefined);
  const url = `${fx.arm.url}/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-raw?api-version=2024-11-01`;
  const headers = { authorization: "Bearer static-test-token", "content-type": "application/json" };
  const res = await fetch(url, { method: "PATCH", headers, body: JSON.stringify(addIdentity(a)) });
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { properties: { provisioningState: string } }).properties.provisioningState, "Updating");
  const asyncOp = res.headers.get("azure-asyncoperation") ?? "";
  assert.ok(asyncOp.startsWith(`${fx.arm.url}/subscriptions/${SUB}/providers/Microsoft.Compute/locations/westeurope/operations/`), asyncOp);
  assert.match(asyncOp, /api-version=2024-11-01/);
  assert.ok(res.headers.get("location")?.includes("monitor=true"));
  assert.ok(res.headers.get("retry-after") !== null);
  assert.ok(res.headers.get("x-ms-ratelimit-remaining-subscription-writes"));
  const status = async () => (await (await fetch(asyncOp, { headers })).json()) as { status: string; name: string; startTime: string; endTime?: string };
  const running = await status();
  assert.equal(running.status, "InProgress");
  assert.equal(running.endTime, undefined);
  fx.arm.releaseOperations();
  const finished = await status();
  assert.equal(finished.status, "Succeeded");
  assert.ok(finished.endTime && finished.name);
  fx.arm.setOperationDuration(150);
});

test("a second write while one is in flight → 409 Conflict", async () => {
  const [a, b] = [fx.identity("c-a"), fx.identity("c-b")];
  const id = scaleSet("vmss-conflict");
  const client = fx.client();
  fx.arm.setOperationDuration(undefined);
  const first = client.virtualMachineScaleSets.update(RG, "vmss-conflict", addIdentity(a), fast);
  await first.submitted();
  await assert.rejects(client.virtualMachineScaleSets.beginUpdateAndWait(RG, "vmss-conflict", addIdentity(b), fast),
    (e: unknown) => isRest(409, "Conflict")(e) && (e as Error).message === "The request failed due to conflict with a concurrent request.");
  fx.arm.releaseOperations(id);
  await first;
  fx.arm.setOperationDuration(150);
  assert.deepEqual(fx.arm.identitiesOf(id).map((i) => i.resourceId), [a]);
});

test("preempt mode: the first operation ends Canceled (OperationPreempted), the second applies", async () => {
  const [a, b] = [fx.identity("p-a"), fx.identity("p-b")];
  const id = scaleSet("vmss-preempt");
  const client = fx.client();
  fx.arm.setConcurrentWrites("preempt");
  const first = client.virtualMachineScaleSets.update(RG, "vmss-preempt", addIdentity(a), fast);
  await first.submitted();
  const second = await client.virtualMachineScaleSets.beginUpdateAndWait(RG, "vmss-preempt", addIdentity(b), fast);
  await assert.rejects(first, (e: Error) => /cancel/i.test(e.message));
  assert.equal(first.operationState?.status, "canceled");
  // The SDK drops the reason; the status document keeps it.
  const statusUrl = (first.operationState as { config?: { operationLocation?: string } } | undefined)?.config?.operationLocation ?? "";
  const doc = await (await fetch(statusUrl, { headers: { authorization: "Bearer static-test-token" } })).json() as { status: string; error?: { code: string } };
  assert.deepEqual([doc.status, doc.error?.code], ["Canceled", "OperationPreempted"]);
  fx.arm.setConcurrentWrites("conflict");
  assert.deepEqual(uaiKeys(second), [b.toLowerCase()], "merged onto the applied state, without the preempted change");
  assert.deepEqual(fx.arm.identitiesOf(id).map((i) => i.resourceId), [b]);
});

test("an operation that ends Failed applies nothing", async () => {
  const a = fx.identity("f-a");
  const id = scaleSet("vmss-failed");
  fx.arm.scriptOperationFailure({ code: "InternalExecutionError", message: "An internal execution error occurred." });
  await assert.rejects(fx.client().virtualMachineScaleSets.beginUpdateAndWait(RG, "vmss-failed", addIdentity(a), fast),
    (e: Error) => e.message.includes("InternalExecutionError"));
  assert.deepEqual(fx.arm.identitiesOf(id), []);
});

test("429 with Retry-After: RestError without retries; honoured by the SDK's retry policy", async () => {
  scaleSet("vmss-429");
  fx.arm.script429(1, 1);
  await assert.rejects(fx.client().virtualMachineScaleSets.get(RG, "vmss-429"), (e: unknown) => {
    assert.ok(isRest(429, "OperationNotAllowed")(e));
    assert.equal((e as RestError).response?.headers.get("retry-after"), "1");
    return true;
  });
  fx.arm.clearLog();
  fx.arm.script429(1, 1);
  const vmss = await fx.client(undefined, 2).virtualMachineScaleSets.get(RG, "vmss-429");
  assert.equal(vmss.name, "vmss-429");
  const [throttled, retried] = fx.arm.log;
  assert.equal(throttled?.status, 429);
  assert.equal(retried?.status, 200);
  assert.ok((retried?.time ?? 0) - (throttled?.time ?? 0) >= 900, "the retry waited for Retry-After");
});

test("scripted 5xx is retried by the SDK; latency delays answers; writes are counted", async () => {
  const a = fx.identity("s-a");
  const id = scaleSet("vmss-5xx");
  fx.arm.scriptError({ method: "PATCH", pathPattern: "vmss-5xx", status: 503, code: "ServiceUnavailable", message: "try later" });
  const done = await fx.client(undefined, 1).virtualMachineScaleSets.beginUpdateAndWait(RG, "vmss-5xx", addIdentity(a), fast);
  assert.deepEqual(uaiKeys(done), [a.toLowerCase()]);
  assert.equal(fx.arm.writesFor(id), 2, "the failed attempt and the retry");
  fx.arm.setLatency(150);
  const t0 = Date.now();
  await fx.client().virtualMachineScaleSets.get(RG, "vmss-5xx");
  fx.arm.setLatency(0);
  assert.ok(Date.now() - t0 >= 140);
});
