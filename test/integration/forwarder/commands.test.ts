// mic-commands → AzureAssignedIdentity on the real SDKs against the peers.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { COMMANDS_QUEUE, DeadLetterReason } from "../../../core/index.ts";
import { ForwarderErrorCode } from "../../../forwarder/errors.ts";
import { waitFor } from "../../helpers/forwarder-fakes.ts";
import { applyCommand, type Harness, leaderReady, metricValue, type RunningForwarder, startHarness } from "../../helpers/forwarder-harness.ts";

let h: Harness;
let fwd: RunningForwarder;
const AAI = "azureassignedidentities";
const aaiStatus = (name: string) => (h.kube.get(AAI, "default", name)?.status as { status?: string } | undefined)?.status;

before(async () => {
  h = await startHarness();
  fwd = await h.startForwarder();
  await waitFor(() => leaderReady(fwd), 8000, "forwarder ready");
});

after(async () => {
  await h.close();
});

const drained = () => h.bus.queueDepth(COMMANDS_QUEUE).active === 0;

test("apply creates the AzureAssignedIdentity and sets status Assigned through /status", async () => {
  h.kube.clearRequests();
  await h.sendCommand(applyCommand("web-0-shop-web-id"));
  await waitFor(() => aaiStatus("web-0-shop-web-id") === "Assigned", 8000, "Assigned");
  const o = h.kube.get(AAI, "default", "web-0-shop-web-id");
  assert.equal(o?.metadata.labels?.nodename, "n1");
  assert.equal((o?.spec as { podNamespace: string }).podNamespace, "shop");
  assert.equal(o?.metadata.finalizers, undefined, "podid adds no finalizer");
  const writes = h.kube.requests.filter((r) => r.method !== "GET" && r.path.includes("/azureassignedidentities"));
  assert.deepEqual(writes.map((r) => `${r.method} ${r.path.endsWith("/status") ? "status" : "main"} ${r.status}`), ["POST main 201", "PUT status 200"]);
  await waitFor(drained, 5000, "message completed");
  await waitFor(async () => (await metricValue(fwd.registry, "podid_forwarder_commands_total", { op: "apply", result: "completed" })) === 1, 2000, "metric");
});

test("a duplicate apply is harmless: no write, completed", async () => {
  h.kube.clearRequests();
  const before = h.kube.get(AAI, "default", "web-0-shop-web-id")?.metadata.resourceVersion;
  await h.sendCommand(applyCommand("web-0-shop-web-id"));
  await waitFor(async () => (await metricValue(fwd.registry, "podid_forwarder_commands_total", { op: "apply", result: "completed" })) === 2, 8000);
  assert.equal(h.kube.get(AAI, "default", "web-0-shop-web-id")?.metadata.resourceVersion, before);
  assert.equal(h.kube.requests.filter((r) => r.method !== "GET" && r.path.includes("/azureassignedidentities")).length, 0);
});

test("409 Conflict on the status write is retried (re-read, reapply)", async () => {
  h.kube.injectError({ method: "PUT", pathPrefix: "/apis/aadpodidentity.k8s.io/v1/namespaces/default/azureassignedidentities/web-1-shop-web-id/status", status: 409, reason: "Conflict", message: "the object has been modified" });
  await h.sendCommand(applyCommand("web-1-shop-web-id"));
  await waitFor(() => aaiStatus("web-1-shop-web-id") === "Assigned", 8000, "Assigned after conflict");
  const statusPuts = h.kube.requests.filter((r) => r.method === "PUT" && r.path.endsWith("/web-1-shop-web-id/status"));
  assert.deepEqual(statusPuts.map((r) => r.status), [409, 200]);
  await waitFor(drained, 5000);
});

test("a transient API error abandons the command; the redelivery applies it", async () => {
  h.kube.injectError({ method: "POST", pathPrefix: "/apis/aadpodidentity.k8s.io/v1/namespaces/default/azureassignedidentities", status: 503, reason: "ServiceUnavailable" });
  await h.sendCommand(applyCommand("web-2-shop-web-id"));
  await waitFor(() => aaiStatus("web-2-shop-web-id") === "Assigned", 8000, "Assigned after redelivery");
  await waitFor(async () => (await metricValue(fwd.registry, "podid_forwarder_commands_total", { op: "apply", result: "abandoned" })) === 1, 2000, "metric");
  await waitFor(drained, 5000);
});

test("malformed and foreign-cluster commands are dead-lettered with a reason; later commands still flow", async () => {
  await h.sendCommand("{definitely not json", "bad-json");
  await h.sendCommand({ v: 2, cluster: "c1", op: "apply" }, "bad-version");
  await h.sendCommand({ ...applyCommand("x"), cluster: "other" }, "other-cluster");
  await h.sendCommand({ v: 1, cluster: "c1", op: "apply", assignedIdentity: { metadata: { name: "no-spec" } } }, "no-spec");
  await h.sendCommand(applyCommand("web-3-shop-web-id"), "good");
  await waitFor(() => aaiStatus("web-3-shop-web-id") === "Assigned", 8000, "later command applied");
  await waitFor(() => h.bus.deadLetters(COMMANDS_QUEUE).length === 4, 5000, "4 dead letters");
  await waitFor(async () => (await metricValue(fwd.registry, "podid_forwarder_commands_total", { op: "invalid", result: "dead_lettered" })) === 4, 2000, "metric");
  const reasons = Object.fromEntries(h.bus.deadLetters(COMMANDS_QUEUE).map((d) => [d.messageId, d.reason]));
  assert.deepEqual(reasons, {
    "bad-json": DeadLetterReason.MalformedJson,
    "bad-version": DeadLetterReason.UnsupportedVersion,
    "other-cluster": DeadLetterReason.WrongSession,
    "no-spec": DeadLetterReason.Invalid,
  });
  assert.ok(h.bus.deadLetters(COMMANDS_QUEUE).every((d) => (d.description ?? "").length > 0));
});

test("a command the API server refuses for good is dead-lettered with the forwarder's reason", async () => {
  h.kube.injectError({ method: "POST", pathPrefix: "/apis/aadpodidentity.k8s.io/v1/namespaces/default/azureassignedidentities", status: 422, reason: "Invalid", message: "spec.pod: Required value" });
  await h.sendCommand(applyCommand("web-4-shop-web-id"), "refused");
  await waitFor(() => h.bus.deadLetters(COMMANDS_QUEUE).some((d) => d.messageId === "refused"), 8000);
  const d = h.bus.deadLetters(COMMANDS_QUEUE).find((x) => x.messageId === "refused");
  assert.equal(d?.reason, ForwarderErrorCode.Rejected);
  assert.match(d?.description ?? "", /422/);
});

test("delete removes the object (also one carrying the legacy finalizer); deleting again is done", async () => {
  await h.sendCommand(applyCommand("web-0-shop-web-id", "Assigned", "delete"));
  await waitFor(() => h.kube.get(AAI, "default", "web-0-shop-web-id") === undefined, 8000, "deleted");
  const legacy = h.kube.get(AAI, "default", "web-1-shop-web-id");
  assert.ok(legacy);
  h.kube.put(AAI, { ...legacy, metadata: { ...legacy.metadata, finalizers: ["azureassignedidentity.finalizers.aadpodidentity.k8s.io"] } });
  await h.sendCommand(applyCommand("web-1-shop-web-id", "Assigned", "delete"));
  await waitFor(() => h.kube.get(AAI, "default", "web-1-shop-web-id") === undefined, 8000, "legacy object deleted");
  await h.sendCommand(applyCommand("web-1-shop-web-id", "Assigned", "delete"));
  await waitFor(async () => (await metricValue(fwd.registry, "podid_forwarder_commands_total", { op: "delete", result: "completed" })) === 3, 8000);
  await waitFor(drained, 5000);
});

test("an abandoned command is not overtaken: apply (fails once) then delete of one object ends deleted", async () => {
  const name = "web-5-shop-web-id";
  const count = (op: string, result: string) => metricValue(fwd.registry, "podid_forwarder_commands_total", { op, result });
  const [applied, deleted, abandoned] = await Promise.all([count("apply", "completed"), count("delete", "completed"), count("apply", "abandoned")]);
  h.kube.injectError({ method: "POST", pathPrefix: "/apis/aadpodidentity.k8s.io/v1/namespaces/default/azureassignedidentities", status: 503, reason: "ServiceUnavailable" });
  await h.sendCommand(applyCommand(name));
  await h.sendCommand(applyCommand(name, "Assigned", "delete"));
  await waitFor(async () => (await count("apply", "abandoned")) === abandoned + 1 && (await count("apply", "completed")) === applied + 1 &&
    (await count("delete", "completed")) === deleted + 1, 15_000, "both commands settled");
  await waitFor(drained, 5000);
  assert.equal(h.kube.get(AAI, "default", name), undefined, "the delete came last, as sent");
});
