// reconcileHost under the conditions DESIGN §5 promises to survive: a durable host restart in
// the middle of a long-running operation, duplicate delivery of the same event, and a change
// ingested right after the orchestration's last read (no lost update), and a poke that never
// happened (repaired by the resync timer).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { resourceIdKey } from "../../../core/index.ts";
import type { IngestOutcome } from "../../../functions/mic/ingest.ts";
import { timerInput } from "../../../sandbox/functions-kit/index.ts";
import { armIdentity, sendSnapshot, startMicTestApp, type MicTestApp } from "../../helpers/mic-app.ts";
import { upsert } from "../../helpers/mic-events.ts";
import { binding, identity, NODE_RG, pod, SUB, uaiId, vmssNode } from "../../helpers/mic-fixtures.ts";

let app: MicTestApp;
before(async () => { app = await startMicTestApp(); });
after(async () => { await app.stop(); });

const scaleSet = (name: string): string => app.arm.addScaleSet({ subscriptionId: SUB, resourceGroup: NODE_RG, name, location: "westeurope" });
const onHost = (hostId: string): string[] => (app.arm.host(hostId)?.userAssignedIdentities ?? []).map((i) => i.toLowerCase()).sort();

async function oneIdentityCluster(cluster: string, vmss: string, names: string[]): Promise<void> {
  for (const n of names) armIdentity(app.arm, n);
  await sendSnapshot(app, cluster, {
    identities: names.map((n) => identity("default", n)),
    bindings: names.map((n) => binding("default", `b-${n}`, n, n)),
    nodes: [vmssNode(`${vmss}-0`, vmss, 0)],
    pods: names.slice(0, 1).map((n) => pod("default", `${n}-pod`, `${vmss}-0`, n)),
  });
}

test("a durable host restart in the middle of a long-running operation completes it without a second write", async () => {
  const cluster = "restart";
  const hostId = scaleSet("vmss-restart");
  app.arm.setOperationDuration(undefined);
  await oneIdentityCluster(cluster, "vmss-restart", ["id-restart"]);
  await app.host.runUntilIdle();
  await app.host.advance(6_000); // polled a few times: InProgress
  assert.equal(app.arm.writesFor(hostId), 1);
  const polls = () => app.arm.log.filter((l) => l.path.includes("/operations/")).length;
  const pollsBefore = polls();
  assert.ok(pollsBefore >= 2, `polled before the restart (${pollsBefore})`);

  await app.restartHost();
  app.arm.setOperationDuration(0);
  app.arm.releaseOperations(hostId);
  await app.settle();
  assert.equal(app.arm.writesFor(hostId), 1, "no duplicate PATCH after the restart");
  assert.ok(polls() > pollsBefore, "the new host went on polling the same operation");
  assert.deepEqual(onHost(hostId), [uaiId("id-restart").toLowerCase()]);
  assert.equal(app.publisher.statuses().get("default/id-restart-pod-default-id-restart"), "Assigned");
  assert.equal((await app.host.getStatus(app.instanceId(cluster, hostId)))?.runtimeStatus, "Completed");
});

test("the same event delivered twice is harmless: stored once, no poke, no write, nothing re-published", async () => {
  const cluster = "dup";
  const hostId = scaleSet("vmss-dup");
  await oneIdentityCluster(cluster, "vmss-dup", ["id-dup"]);
  await app.settle();
  const writes = app.arm.writesFor(hostId);
  const sent = app.publisher.sent.length;
  const event = pod("default", "id-dup-pod-2", "vmss-dup-0", "id-dup");
  const first = await app.send(cluster, "Pod", event);
  const second = await app.send(cluster, "Pod", event);
  assert.ok(first.ok && second.ok);
  assert.equal(first.reason, "new");
  assert.equal(second.reason, "duplicate");
  assert.deepEqual(second.pokes, []);
  await app.settle();
  assert.equal(app.arm.writesFor(hostId), writes, "identity already on the host: no PATCH");
  assert.equal(app.publisher.sent.length, sent + 1, "only the new pod's AzureAssignedIdentity");
  assert.equal(app.publisher.statuses().get("default/id-dup-pod-2-default-id-dup"), "Assigned");
});

test("no lost update: a change ingested right after the orchestration's last read is reconciled (continue-as-new)", async () => {
  const cluster = "race";
  const hostId = scaleSet("vmss-race");
  const store = app.deps.store;
  let raced: IngestOutcome | undefined;
  // Fire the ingest inside markReconciled, after its read of the host's generation: the
  // orchestration has decided it is up to date and is about to finish.
  app.deps.store = {
    ...store,
    async markReconciled(...args) {
      const out = await store.markReconciled(...args);
      if (raced === undefined && args[0] === cluster) {
        raced = await app.send(cluster, "Pod", pod("default", "late", "vmss-race-0", "id-race-late"));
      }
      return out;
    },
  };
  try {
    await oneIdentityCluster(cluster, "vmss-race", ["id-race-early", "id-race-late"]);
    await app.settle();
  } finally {
    app.deps.store = store;
  }
  assert.ok(raced?.ok);
  assert.deepEqual(raced.pokes.map((p) => p.action), ["signalled"], "the instance was still running: it got an event");
  assert.deepEqual(onHost(hostId), [uaiId("id-race-early"), uaiId("id-race-late")].map((x) => x.toLowerCase()).sort());
  assert.equal(app.publisher.statuses().get("default/late-default-id-race-late"), "Assigned");
  const record = await store.getHostRecord(cluster, hostId);
  assert.equal(record?.reconciledGeneration, record?.generation);
  assert.equal(app.arm.writesFor(hostId), 2);
});

test("a change ingested after the orchestration finished starts it anew under the same id", async () => {
  const cluster = "race";
  const hostId = app.arm.hostIdOf(`/subscriptions/${SUB}/resourceGroups/${NODE_RG}/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-race`) ?? "";
  assert.equal((await app.host.getStatus(app.instanceId(cluster, hostId)))?.runtimeStatus, "Completed");
  armIdentity(app.arm, "id-race-third");
  await app.send(cluster, "AzureIdentity", identity("default", "id-race-third"));
  await app.settle();
  await app.send(cluster, "AzureIdentityBinding", binding("default", "b-third", "id-race-third", "third"));
  await app.settle();
  const out = await app.send(cluster, "Pod", pod("default", "third", "vmss-race-0", "third"));
  assert.ok(out.ok);
  assert.deepEqual(out.pokes.map((p) => [p.action, p.instanceId]), [["started", app.instanceId(cluster, hostId)]]);
  await app.settle();
  assert.ok(onHost(hostId).includes(uaiId("id-race-third").toLowerCase()));
  assert.equal(app.publisher.statuses().get("default/third-default-id-race-third"), "Assigned");
});

test("a lost poke (crash between the state write and the poke) is repaired by the resync timer", async () => {
  const cluster = "lostpoke";
  const hostId = scaleSet("vmss-lostpoke");
  await oneIdentityCluster(cluster, "vmss-lostpoke", ["id-lost-a", "id-lost-b"]);
  await app.settle();
  // The state is written, but no orchestration hears of it.
  const result = await app.deps.store.ingest(upsert(cluster, "Pod", pod("default", "lost", "vmss-lostpoke-0", "id-lost-b")));
  assert.deepEqual(result.affectedHosts.map((h) => h.hostKey), [resourceIdKey(hostId)]);
  await app.settle();
  const lagging = await app.deps.store.getHostRecord(cluster, hostId);
  assert.ok(lagging && lagging.reconciledGeneration < lagging.generation, "the host lags");
  assert.equal(app.publisher.statuses().has("default/lost-default-id-lost-b"), false);

  await app.kit.invoke("micResync", { trigger: timerInput(), inputs: { durableClient: app.host.durableClientInput() } });
  await app.settle();
  const caughtUp = await app.deps.store.getHostRecord(cluster, hostId);
  assert.equal(caughtUp?.reconciledGeneration, caughtUp?.generation);
  assert.equal(app.publisher.statuses().get("default/lost-default-id-lost-b"), "Assigned");
  assert.ok(onHost(hostId).includes(uaiId("id-lost-b").toLowerCase()));
});
