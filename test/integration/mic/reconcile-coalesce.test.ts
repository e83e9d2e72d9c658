// Write economy of reconcileHost: more than ARM's 150 identities per request → chunked PATCHes;
// changes arriving while a PATCH is in flight → coalesced into ONE follow-up PATCH; a burst of
// events before any PATCH → one PATCH (the coalescing window), which never waits past its cap.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { armIdentity, sendSnapshot, startMicTestApp, type MicTestApp } from "../../helpers/mic-app.ts";
import { binding, identity, NODE_RG, pod, SUB, uaiId, vmssNode } from "../../helpers/mic-fixtures.ts";

let app: MicTestApp;
before(async () => { app = await startMicTestApp(); });
after(async () => { await app.stop(); });

const scaleSet = (name: string): string => app.arm.addScaleSet({ subscriptionId: SUB, resourceGroup: NODE_RG, name, location: "westeurope" });
const patchesOf = (name: string) => app.arm.log.filter((l) => l.method === "PATCH" && l.path.toLowerCase().includes(`/${name}?`));
const entries = (body: unknown): number => Object.keys((body as { identity: { userAssignedIdentities?: object } }).identity.userAssignedIdentities ?? {}).length;

test("160 identities for one scale set → two PATCHes (150 + 10), all Assigned", async () => {
  const cluster = "big";
  const hostId = scaleSet("vmss-big");
  const names = Array.from({ length: 160 }, (_, i) => `id-big-${String(i).padStart(3, "0")}`);
  for (const n of names) armIdentity(app.arm, n);
  // One pod bound to all 160 identities (every binding selects the same label value).
  await sendSnapshot(app, cluster, {
    identities: names.map((n) => identity("default", n)),
    bindings: names.map((n) => binding("default", `b-${n}`, n, "all")),
    nodes: [vmssNode("big-0", "vmss-big", 0)],
    pods: [pod("default", "big", "big-0", "all")],
  });
  await app.settle();
  const patches = patchesOf("vmss-big");
  assert.deepEqual(patches.map((p) => [p.status, entries(p.body)]), [[200, 150], [200, 10]]);
  assert.equal(app.arm.host(hostId)?.userAssignedIdentities.length, 160);
  const statuses = app.publisher.statuses();
  assert.equal(names.filter((n) => statuses.get(`default/big-default-${n}`) === "Assigned").length, 160);
  const record = await app.deps.store.getHostRecord(cluster, hostId);
  assert.equal(record?.podidAssigned.length, 160);
});

test("50 pods arriving while a PATCH is in flight coalesce into one follow-up PATCH", async () => {
  const cluster = "burst";
  const hostId = scaleSet("vmss-burst");
  const names = Array.from({ length: 51 }, (_, i) => `id-burst-${i}`);
  for (const n of names) armIdentity(app.arm, n);
  app.arm.setOperationDuration(undefined); // hold every operation until released
  await sendSnapshot(app, cluster, {
    identities: names.map((n) => identity("default", n)),
    bindings: names.map((n) => binding("default", `b-${n}`, n, n)),
    nodes: [vmssNode("burst-0", "vmss-burst", 0), vmssNode("burst-1", "vmss-burst", 1)],
    pods: [pod("default", "first", "burst-0", names[0] ?? "")],
  });
  await app.host.runUntilIdle();
  await app.host.advance(10_000); // a few polls: still InProgress
  assert.equal(app.arm.writesFor(hostId), 1, "the first PATCH is in flight");
  assert.equal(app.arm.host(hostId)?.provisioningState, "Updating");

  const pokes: string[] = [];
  for (const [i, n] of names.slice(1).entries()) {
    const out = await app.send(cluster, "Pod", pod("default", `p-${i}`, `burst-${i % 2}`, n));
    assert.ok(out.ok);
    for (const p of out.pokes) pokes.push(p.action);
  }
  assert.equal(pokes.length, 50);
  assert.ok(pokes.every((a) => a === "signalled"), "the running instance was signalled, not restarted");
  await app.host.advance(10_000);
  assert.equal(app.arm.writesFor(hostId), 1, "nothing else written while the first PATCH runs");

  app.arm.setOperationDuration(0);
  app.arm.releaseOperations(hostId);
  await app.settle();
  const patches = patchesOf("vmss-burst");
  assert.deepEqual(patches.map((p) => [p.status, entries(p.body)]), [[200, 1], [200, 50]], "one follow-up PATCH for all 50");
  assert.equal(app.arm.writesFor(hostId), 2);
  assert.deepEqual((app.arm.host(hostId)?.userAssignedIdentities ?? []).map((x) => x.toLowerCase()).sort(),
    names.map((n) => uaiId(n).toLowerCase()).sort());
  const statuses = app.publisher.statuses();
  assert.equal([...statuses.entries()].filter(([k, v]) => k.includes("-id-burst-") && v === "Assigned").length, 51);
  const record = await app.deps.store.getHostRecord(cluster, hostId);
  assert.equal(record?.reconciledGeneration, record?.generation, "caught up");
});

/** One identity per pod, all on one node of `vmss`; identities and bindings sent first. */
async function burstSetup(cluster: string, vmss: string, n: number): Promise<string[]> {
  const names = Array.from({ length: n }, (_, i) => `id-${vmss}-${i}`);
  for (const name of names) armIdentity(app.arm, name);
  await sendSnapshot(app, cluster, {
    identities: names.map((name) => identity("default", name)),
    bindings: names.map((name) => binding("default", `b-${name}`, name, name)),
    nodes: [vmssNode(`${vmss}-0`, vmss, 0)],
  });
  await app.settle();
  return names;
}

test("a burst of pod events before any PATCH: the coalescing window makes it ONE PATCH", async () => {
  const cluster = "window";
  const hostId = scaleSet("vmss-window");
  const names = await burstSetup(cluster, "vmss-window", 15);
  for (const [i, name] of names.entries()) {
    await app.send(cluster, "Pod", pod("default", `w-${i}`, "vmss-window-0", name));
    await app.host.advance(200); // events keep arriving, 200 ms apart (quiet period: 1 s)
  }
  assert.equal(app.arm.writesFor(hostId), 0, "nothing written while the burst lasts (3 s)");
  await app.host.advance(1_500);
  assert.equal(app.arm.writesFor(hostId), 1, "written once the events stopped for the quiet period");
  await app.settle();
  assert.deepEqual(patchesOf("vmss-window").map((p) => entries(p.body)), [15]);
  assert.equal([...app.publisher.statuses()].filter(([k, v]) => k.startsWith("default/w-") && v === "Assigned").length, 15);
  const out = (await app.host.getStatus(app.instanceId(cluster, hostId)))?.output as { execution?: number } | undefined;
  assert.equal(out?.execution, 0, "events that arrived during the window do not cause another execution");
});

test("the window is capped: a steady stream of events does not hold the first PATCH back past coalesceMaxMs", async () => {
  const cluster = "stream";
  const hostId = scaleSet("vmss-stream");
  const names = await burstSetup(cluster, "vmss-stream", 12);
  let writesAfter5s: number | undefined;
  for (const [i, name] of names.entries()) {
    await app.send(cluster, "Pod", pod("default", `s-${i}`, "vmss-stream-0", name));
    await app.host.advance(500); // 6 s of events; the window's cap in TEST_TIMING is 4 s
    if (i === 9) writesAfter5s = app.arm.writesFor(hostId);
  }
  assert.equal(writesAfter5s, 1, "the first PATCH went out at the cap, while events still arrived");
  await app.settle();
  const patches = patchesOf("vmss-stream").map((p) => entries(p.body));
  assert.ok(patches.length === 2 && (patches[0] ?? 12) < 12, `the rest follows in one later PATCH: ${JSON.stringify(patches)}`);
  assert.equal(patches.reduce((a, b) => a + b, 0), 12);
  assert.equal([...app.publisher.statuses()].filter(([k, v]) => k.startsWith("default/s-") && v === "Assigned").length, 12);
});
