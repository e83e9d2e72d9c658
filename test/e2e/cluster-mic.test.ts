// The cluster ⇄ MIC loop end to end, every component through its real SDK: the kube-apiserver
// peer (client-node), the forwarder, the Service Bus peer (@azure/service-bus), the MIC function
// app on the durable host fed by the Service Bus trigger driver, the ARM peer (arm-compute) and
// Azurite (data-tables). Tests share one system and run in order; each uses its own names.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ServiceBusClient } from "@azure/service-bus";
import { EVENTS_QUEUE, trimPod } from "../../core/index.ts";
import type { SettledEvent } from "../../sandbox/servicebus-trigger/index.ts";
import { eventually, startTestSystem, stays } from "../helpers/system.ts";
import type { TestSystem } from "../helpers/system.ts";

let s: TestSystem;
let vmss: string;
let sb: ServiceBusClient;
const settled: SettledEvent[] = [];

before(async () => {
  s = await startTestSystem({ mic: { trigger: { onSettled: (e) => settled.push(e) } } });
  vmss = s.scaleSet("aks-nodepool1-vmss", ["0", "1"]);
  await s.node("n1", vmss, "0");
  await s.node("n2", vmss, "1");
  sb = new ServiceBusClient(s.peers.serviceBus.connectionString(), { retryOptions: { maxRetries: 1, retryDelayInMs: 100, timeoutInMs: 5000 } });
});

after(async () => {
  await sb?.close();
  await s?.stop();
});

const onHost = (id: string): boolean => s.hostIdentities(vmss).includes(id.toLowerCase());

test("identity + binding + pod → identity on the node's scale set and an Assigned AzureAssignedIdentity", async () => {
  const id = s.uai("id-web");
  await s.azureIdentity("id-web", id);
  await s.binding("bind-web", "id-web", "web");
  await s.pod("web-0", "n1", "web");
  await eventually("identity on the scale set", () => onHost(id));
  await eventually("AzureAssignedIdentity Assigned", () => s.assigned("web-0-default-id-web")?.status === "Assigned");
  assert.equal(s.assigned("web-0-default-id-web")?.nodename, "n1");
});

test("deleting the pod removes the identity from the scale set and deletes the AzureAssignedIdentity", async () => {
  const id = s.uai("id-web");
  await s.deletePod("web-0");
  await eventually("identity left the scale set", () => !onHost(id));
  await eventually("AzureAssignedIdentity deleted", () => s.assigned("web-0-default-id-web") === undefined);
});

test("two pods on two nodes of one scale set share one assignment: one ARM write", async () => {
  const id = s.uai("id-api");
  await s.azureIdentity("id-api", id);
  await s.binding("bind-api", "id-api", "api");
  const before = s.peers.arm.writesFor(vmss);
  await Promise.all([s.pod("api-0", "n1", "api"), s.pod("api-1", "n2", "api")]);
  await eventually("both Assigned", () => s.assigned("api-0-default-id-api")?.status === "Assigned" && s.assigned("api-1-default-id-api")?.status === "Assigned");
  assert.ok(onHost(id));
  assert.equal(s.peers.arm.writesFor(vmss) - before, 1, "one PATCH for the scale set");
});

test("a malformed message is dead-lettered while the cluster's session keeps flowing", async () => {
  const sender = sb.createSender(EVENTS_QUEUE);
  await sender.sendMessages([
    { body: Buffer.from("{not json"), sessionId: s.cluster, messageId: "e2e-bad-json", contentType: "application/json" },
    { body: { v: 99, cluster: s.cluster, kind: "Pod", op: "upsert", object: {} }, sessionId: s.cluster, messageId: "e2e-bad-version" },
  ]);
  await sender.close();
  await s.pod("late-0", "n2", "api");
  await eventually("the next event was processed", () => s.assigned("late-0-default-id-api")?.status === "Assigned", 30_000);
  await eventually("both in the DLQ", () => s.peers.serviceBus.deadLetters(EVENTS_QUEUE).length >= 2);
  const dlq = s.peers.serviceBus.deadLetters(EVENTS_QUEUE);
  for (const messageId of ["e2e-bad-json", "e2e-bad-version"]) {
    const d = dlq.find((x) => x.messageId === messageId);
    assert.ok(d, `${messageId} dead-lettered`);
    assert.equal(d.reason, "MaxDeliveryCountExceeded");
    assert.ok(d.description);
  }
  // The function's own reason (ADR 0002) rides on the error the host saw.
  const reasons = (id: string) => settled.filter((e) => e.messageIds.includes(id)).map((e) => (e.error as { reason?: string } | undefined)?.reason);
  assert.ok(reasons("e2e-bad-json").every((r) => r === "PODID_MSG_MALFORMED_JSON") && reasons("e2e-bad-json").length === 5);
  assert.ok(reasons("e2e-bad-version").every((r) => r === "PODID_MSG_UNSUPPORTED_VERSION"));
});

test("the same event delivered twice changes nothing", async () => {
  const live = await s.core.readNamespacedPod({ name: "api-0", namespace: "default" });
  const event = { v: 1, cluster: s.cluster, kind: "Pod", op: "upsert", object: trimPod(live) };
  const writes = s.peers.arm.writes;
  const rv = s.assigned("api-0-default-id-api")?.resourceVersion;
  const completed = s.trigger.stats.completed;
  const sender = sb.createSender(EVENTS_QUEUE);
  // Distinct messageIds: duplicate detection must not hide the MIC's own idempotency.
  await sender.sendMessages([
    { body: event, sessionId: s.cluster, messageId: "e2e-dup-1", contentType: "application/json" },
    { body: event, sessionId: s.cluster, messageId: "e2e-dup-2", contentType: "application/json" },
  ]);
  await sender.close();
  await eventually("both processed", () => s.trigger.stats.completed >= completed + 2);
  await stays("no ARM write and no AzureAssignedIdentity change", () =>
    s.peers.arm.writes === writes && s.assigned("api-0-default-id-api")?.resourceVersion === rv, 1500);
});

test("a forwarder restart (snapshot) repairs deletes it missed", async () => {
  const id = s.uai("id-api");
  await s.forwarder.stop();
  for (const p of ["api-0", "api-1", "late-0"]) await s.deletePod(p);
  await stays("nothing happens while the forwarder is down", () => onHost(id), 500);
  await s.forwarder.start();
  await eventually("identity left the scale set", () => !onHost(id), 30_000);
  await eventually("AzureAssignedIdentities deleted", () =>
    ["api-0", "api-1", "late-0"].every((p) => s.assigned(`${p}-default-id-api`) === undefined));
});

test("a Service Bus outage of a few seconds loses nothing", async () => {
  const id = s.uai("id-out");
  await s.azureIdentity("id-out", id);
  await s.binding("bind-out", "id-out", "out");
  const outage = s.peers.serviceBus.outage(3000);
  await s.pod("out-0", "n2", "out");
  await outage;
  await eventually("identity on the scale set", () => onHost(id), 30_000);
  await eventually("Assigned", () => s.assigned("out-0-default-id-out")?.status === "Assigned", 30_000);
});

test("watch 410 on the forwarder side converges", async () => {
  const id = s.uai("id-gone");
  await s.azureIdentity("id-gone", id);
  await s.binding("bind-gone", "id-gone", "gone");
  s.peers.kube.compact();
  s.peers.kube.expireWatches();
  await s.pod("gone-0", "n1", "gone");
  await eventually("identity on the scale set", () => onHost(id), 30_000);
  await eventually("Assigned", () => s.assigned("gone-0-default-id-gone")?.status === "Assigned", 30_000);
});
