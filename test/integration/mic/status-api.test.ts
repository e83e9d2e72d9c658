// The MIC's HTTP API invoked through the functions kit (the worker's invocation path):
// GET /api/clusters/{cluster}/status and POST /api/clusters/{cluster}/resync.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { MicStatusSchema, reconcileLag } from "../../../cli/mic/status-client.ts";
import type { ClusterStatus } from "../../../functions/mic/status.ts";
import { armIdentity, sendSnapshot, startMicTestApp, type MicTestApp } from "../../helpers/mic-app.ts";
import { binding, identity, NODE_RG, pod, SUB, uaiId, vmssNode } from "../../helpers/mic-fixtures.ts";

let app: MicTestApp;
let okHost: string;
before(async () => {
  app = await startMicTestApp();
  okHost = app.arm.addScaleSet({ subscriptionId: SUB, resourceGroup: NODE_RG, name: "vmss-ok", location: "westeurope" });
  armIdentity(app.arm, "id-ok");
  // vmss-gone is never created in ARM: its reconcile fails (host-level).
  await sendSnapshot(app, "api", {
    identities: [identity("default", "id-ok"), identity("default", "id-other")],
    bindings: [binding("default", "b-ok", "id-ok", "ok")],
    nodes: [vmssNode("ok-0", "vmss-ok", 0), vmssNode("gone-0", "vmss-gone", 0)],
    pods: [pod("default", "ok-pod", "ok-0", "ok"), pod("default", "gone-pod", "gone-0", "ok")],
  });
  await app.settle();
});
after(async () => { await app.stop(); });

const get = (cluster: string, query = "") => app.kit.invokeHttp("micClusterStatus",
  { url: `http://localhost:7071/api/clusters/${cluster}/status${query}`, params: { cluster } },
  { inputs: { durableClient: app.host.durableClientInput() } });
const post = (cluster: string) => app.kit.invokeHttp("micClusterResync",
  { method: "POST", url: `http://localhost:7071/api/clusters/${cluster}/resync`, params: { cluster } },
  { inputs: { durableClient: app.host.durableClientInput() } });

test("status: hosts with desired vs verified identities, last error, orchestration state", async () => {
  const res = await get("api");
  assert.equal(res.status, 200);
  assert.match(res.headers["content-type"] ?? "", /application\/json/);
  const body = res.json() as ClusterStatus;
  assert.equal(body.cluster, "api");
  assert.deepEqual(body.summary, { hosts: 2, upToDate: 1, pending: 0, failed: 1, assignments: 2 });
  const ok = body.hosts.find((h) => h.hostId.toLowerCase() === okHost.toLowerCase());
  assert.ok(ok);
  assert.deepEqual(ok.desired, [uaiId("id-ok")]);
  assert.deepEqual(ok.podidAssigned.map((x) => x.toLowerCase()), [uaiId("id-ok").toLowerCase()]);
  assert.deepEqual(ok.missing, []);
  assert.equal(ok.upToDate, true);
  assert.equal(ok.orchestration.runtimeStatus, "Completed");
  assert.equal(ok.runtimeStatus, "Completed", "also where the CLI reads it");
  assert.deepEqual(ok.actual?.map((x) => x.toLowerCase()), [uaiId("id-ok").toLowerCase()], "what the last verify saw");
  assert.equal(ok.actualSource, "lastVerify");
  assert.deepEqual(ok.nodes, ["ok-0"]);
  const gone = body.hosts.find((h) => h.hostId.includes("vmss-gone"));
  assert.equal(gone?.lastError?.code, "ResourceNotFound");
  assert.deepEqual(gone?.missing, [uaiId("id-ok")]);
  assert.equal(gone?.upToDate, false);
});

test("status?live=true adds what ARM reports now", async () => {
  const body = (await get("api", "?live=true")).json() as ClusterStatus;
  const ok = body.hosts.find((h) => h.hostId.toLowerCase() === okHost.toLowerCase());
  assert.deepEqual(ok?.actual?.map((x) => x.toLowerCase()), [uaiId("id-ok").toLowerCase()]);
  assert.equal(ok?.actualSource, "live");
  const gone = body.hosts.find((h) => h.hostId.includes("vmss-gone"));
  assert.equal(gone?.actual, undefined);
  assert.match(gone?.actualError ?? "", /was not found/);
});

test("the status document parses with the CLI's schema (cli/mic/status-client.ts)", async () => {
  for (const query of ["", "?live=1"]) {
    const parsed = MicStatusSchema.safeParse((await get("api", query)).json());
    assert.ok(parsed.success, parsed.success ? "" : JSON.stringify(parsed.error.issues));
    const ok = parsed.data.hosts.find((h) => h.hostId.toLowerCase() === okHost.toLowerCase());
    assert.equal(ok?.actual?.length, 1, `Assigned count the CLI shows (${query || "no live"})`);
    assert.equal(ok.runtimeStatus, "Completed");
    assert.equal(reconcileLag(ok), 0);
  }
});

test("status shows pending work while a PATCH is in flight", async () => {
  armIdentity(app.arm, "id-other");
  app.arm.setOperationDuration(undefined);
  await app.send("api", "AzureIdentityBinding", binding("default", "b-other", "id-other", "ok"));
  await app.host.runUntilIdle();
  const coalescing = (await get("api")).json() as ClusterStatus;
  assert.deepEqual(coalescing.hosts.find((h) => h.hostId.toLowerCase() === okHost.toLowerCase())?.orchestration.customStatus,
    { phase: "coalescing", execution: 0 }, "first the coalescing window");
  await app.host.advance(1_500); // past the window (TEST_TIMING.coalesceQuietMs): the PATCH is sent
  const body = (await get("api", "?live=1")).json() as ClusterStatus;
  const ok = body.hosts.find((h) => h.hostId.toLowerCase() === okHost.toLowerCase());
  assert.equal(ok?.orchestration.runtimeStatus, "Running");
  assert.deepEqual(ok.orchestration.customStatus, { phase: "patching", generation: ok.generation, round: 1, adds: 1, removes: 0, patches: 1 });
  assert.ok(ok.reconciledGeneration < ok.generation, "reconcile pending");
  assert.deepEqual(ok.missing, [uaiId("id-other")], "live: not on the host yet");
  assert.ok(body.summary.pending >= 1);
  app.arm.setOperationDuration(0);
  app.arm.releaseOperations();
  await app.settle();
  const after = (await get("api", "?live=1")).json() as ClusterStatus;
  assert.deepEqual(after.hosts.find((h) => h.hostId.toLowerCase() === okHost.toLowerCase())?.missing, []);
});

test("status: unknown cluster → 404, invalid cluster name → 400", async () => {
  assert.equal((await get("nope")).status, 404);
  assert.equal((await get("bad name!")).status, 400);
  assert.equal((await post("nope")).status, 404);
});

test("resync: bumps every host, pokes its orchestration; converged hosts get a GET, no PATCH", async () => {
  const writes = app.arm.writes;
  const before = (await get("api")).json() as ClusterStatus;
  const res = await post("api");
  assert.equal(res.status, 202);
  const out = res.json() as { cluster: string; hosts: number; poked: Array<{ action: string }> };
  assert.equal(out.hosts, 2);
  assert.deepEqual(out.poked.map((p) => p.action), ["started", "started"]);
  await app.settle();
  const after = (await get("api")).json() as ClusterStatus;
  for (const h of after.hosts) {
    const b = before.hosts.find((x) => x.hostKey === h.hostKey);
    assert.equal(h.generation, (b?.generation ?? 0) + 1, "bumped once");
    assert.equal(h.reconciledGeneration, h.generation, "and reconciled");
  }
  assert.equal(app.arm.writes, writes, "nothing to write");
});
