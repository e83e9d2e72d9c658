import assert from "node:assert/strict";
import { test } from "node:test";
import { LeaderElector } from "../../../forwarder/leader-elector.ts";
import { decideLease, leaseDurationSeconds, observe, type LeaseRecord } from "../../../forwarder/lease-decision.ts";
import { FakeLeaseStore, silentLogger, waitFor } from "../../helpers/forwarder-fakes.ts";

const lease = (holder: string, rv: string, durationSeconds = 10): LeaseRecord => ({ holderIdentity: holder, resourceVersion: rv, leaseDurationSeconds: durationSeconds, leaseTransitions: 2 });

test("lease decisions", () => {
  const base = { identity: "me", leading: false, now: 100_000, defaultDurationMs: 15_000 };
  const seen = (l: LeaseRecord, at: number) => observe(undefined, l, at);
  const cases: Array<[string, Parameters<typeof decideLease>[0], string, number?]> = [
    ["no lease → create", { ...base, lease: undefined, observation: undefined }, "create"],
    ["released (empty holder) → acquire, transition +1", { ...base, lease: lease("", "3"), observation: seen(lease("", "3"), 100_000) }, "acquire", 3],
    ["ours while leading → renew", { ...base, leading: true, lease: lease("me", "3"), observation: seen(lease("me", "3"), 99_000) }, "renew"],
    ["ours after a restart → acquire, same transitions", { ...base, lease: lease("me", "3"), observation: seen(lease("me", "3"), 100_000) }, "acquire", 2],
    ["other, fresh → wait", { ...base, lease: lease("other", "3"), observation: seen(lease("other", "3"), 95_000) }, "wait"],
    ["other, unchanged for its duration → acquire", { ...base, lease: lease("other", "3"), observation: seen(lease("other", "3"), 90_000) }, "acquire", 3],
    ["duration missing → configured default", { ...base, lease: { holderIdentity: "other", resourceVersion: "3" }, observation: seen(lease("other", "3"), 90_000) }, "wait"],
  ];
  for (const [name, input, action, transitions] of cases) {
    const d = decideLease(input);
    assert.equal(d.action, action, name);
    if (transitions !== undefined && d.action === "acquire") assert.equal(d.transitions, transitions, name);
  }
});

test("expiry counts from when *we* first saw a record version, not from its renewTime", () => {
  const l = { ...lease("other", "7"), renewTime: "2000-01-01T00:00:00Z" }; // holder's clock far behind ours
  const o1 = observe(undefined, l, 1000);
  assert.equal(decideLease({ lease: l, observation: o1, identity: "me", leading: false, now: 1000, defaultDurationMs: 1 }).action, "wait");
  const o2 = observe(o1, l, 9000);
  assert.equal(o2, o1, "same version keeps its first observation");
  assert.equal(decideLease({ lease: l, observation: o2, identity: "me", leading: false, now: 11_000, defaultDurationMs: 1 }).action, "acquire");
  const renewed = { ...l, resourceVersion: "8" };
  assert.equal(observe(o2, renewed, 11_000)?.observedAt, 11_000, "a renewal restarts the countdown");
  assert.equal(leaseDurationSeconds(300), 1);
  assert.equal(leaseDurationSeconds(15_000), 15);
});

function elector(store: FakeLeaseStore, identity: string, log: string[]) {
  return new LeaderElector({
    store, identity, leaseDurationMs: 400, renewDeadlineMs: 250, retryPeriodMs: 40,
    clock: { now: () => Date.now() }, logger: silentLogger(),
    onStartedLeading: () => { log.push(`${identity}+`); },
    onStoppedLeading: async () => { log.push(`${identity}-`); },
  });
}

test("two candidates: exactly one leads; release on stop hands over at once", async (t) => {
  const store = new FakeLeaseStore();
  const log: string[] = [];
  const a = elector(store, "a", log);
  const b = elector(store, "b", log);
  t.after(() => Promise.all([a.stop(), b.stop()]));
  a.start();
  b.start();
  await waitFor(() => a.isLeader || b.isLeader);
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(Number(a.isLeader) + Number(b.isLeader), 1);
  const [leader, standby] = a.isLeader ? [a, b] : [b, a];
  const t0 = Date.now();
  await leader.stop();
  await waitFor(() => standby.isLeader, 2000, "standby takes over");
  assert.ok(Date.now() - t0 < 400, "released lease is taken without waiting for expiry");
  await standby.stop();
  assert.equal(store.lease?.holderIdentity, "");
  assert.equal(log.filter((l) => l.endsWith("+")).length, 2);
  assert.equal(log.filter((l) => l.endsWith("-")).length, 2);
});

test("a crashed leader's lease is taken after it expires", async (t) => {
  const store = new FakeLeaseStore();
  const log: string[] = [];
  const a = elector(store, "a", log);
  const b = elector(store, "b", log);
  t.after(() => Promise.all([a.stop(), b.stop()]));
  a.start();
  await waitFor(() => a.isLeader);
  await a.stop({ release: false }); // crash: the lease still names a
  assert.equal(store.lease?.holderIdentity, "a");
  const t0 = Date.now();
  b.start();
  await waitFor(() => b.isLeader, 2000);
  const took = Date.now() - t0;
  // The Lease carries whole seconds: 400 ms is written (and honoured by b) as 1 s.
  assert.ok(took >= 950 && took < 1600, `took ${took} ms (lease 1 s)`);
  await b.stop();
});

test("a leader that cannot renew steps down within the renew deadline", async (t) => {
  const store = new FakeLeaseStore();
  const log: string[] = [];
  const a = elector(store, "a", log);
  t.after(() => a.stop());
  a.start();
  await waitFor(() => a.isLeader);
  store.down = true;
  const t0 = Date.now();
  await waitFor(() => !a.isLeader, 2000);
  const took = Date.now() - t0;
  assert.ok(took >= 200 && took < 600, `stepped down after ${took} ms (deadline 250)`);
  assert.deepEqual(log, ["a+", "a-"]);
  store.down = false;
  await waitFor(() => a.isLeader, 2000, "re-enters the election");
  await a.stop();
});

test("a leader whose lease was taken over stops at the next renewal", async (t) => {
  const store = new FakeLeaseStore();
  const log: string[] = [];
  const a = elector(store, "a", log);
  t.after(() => a.stop());
  a.start();
  await waitFor(() => a.isLeader);
  const cur = store.lease;
  assert.ok(cur);
  await store.replace(cur.resourceVersion, { holderIdentity: "intruder", leaseDurationSeconds: 10, acquireTime: new Date(), renewTime: new Date(), leaseTransitions: 1 });
  await waitFor(() => !a.isLeader, 1000);
  await a.stop();
  assert.equal(store.lease?.holderIdentity, "intruder", "stop() does not release someone else's lease");
});
