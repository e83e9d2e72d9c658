// The pure pieces of reconcileHost's waiting: poll intervals and retry backoff (Retry-After
// honoured, capped), the resync timer's choice of hosts, and the deterministic instance id that
// makes one orchestration — one ARM write in flight — per host.
import assert from "node:assert/strict";
import { test } from "node:test";
import { isStalePoke } from "../../../functions/mic/orchestration/grace-period.ts";
import { reconcileInstanceId } from "../../../functions/mic/orchestration/instance-id.ts";
import { DEFAULT_TIMING, pollDelayMs, retryDelayMs, withTiming } from "../../../functions/mic/orchestration/timing.ts";
import { resyncReason } from "../../../functions/mic/resync.ts";
import type { HostRecord } from "../../../functions/mic/state/index.ts";

test("poll interval: Retry-After when positive, else the default, always within [minPollMs, maxPollMs]", () => {
  const t = withTiming({ pollIntervalMs: 10_000, minPollMs: 1_000, maxPollMs: 60_000 });
  assert.equal(pollDelayMs(t), 10_000);
  assert.equal(pollDelayMs(t, 0), 10_000);
  assert.equal(pollDelayMs(t, 15_000), 15_000);
  assert.equal(pollDelayMs(t, 100), 1_000);
  assert.equal(pollDelayMs(t, 10 * 60_000), 60_000);
});

test("retry backoff doubles up to its cap; a longer Retry-After wins, up to its own cap", () => {
  const t = withTiming({ retryBaseMs: 5_000, retryCapMs: 60_000, retryAfterCapMs: 3_600_000 });
  assert.deepEqual([1, 2, 3, 4, 5, 6, 10].map((n) => retryDelayMs(t, n)), [5_000, 10_000, 20_000, 40_000, 60_000, 60_000, 60_000]);
  assert.equal(retryDelayMs(t, 1, 120_000), 120_000, "429 Retry-After: 120 s");
  assert.equal(retryDelayMs(t, 4, 1_000), 40_000, "never shorter than the backoff");
  assert.equal(retryDelayMs(t, 1, 10 * 3_600_000), 3_600_000, "an absurd Retry-After is capped");
});

test("defaults: a burst window well under one VMSS update, bounded retries", () => {
  assert.ok(DEFAULT_TIMING.coalesceQuietMs > 0 && DEFAULT_TIMING.coalesceQuietMs < DEFAULT_TIMING.coalesceMaxMs);
  assert.ok(DEFAULT_TIMING.coalesceMaxMs <= 40_000, "shorter than the 40-60 s a second write would cost");
  assert.ok(DEFAULT_TIMING.maxRetries > 0 && DEFAULT_TIMING.retryCapMs <= 5 * 60_000);
  assert.deepEqual(withTiming({ graceMs: 0 }), { ...DEFAULT_TIMING, graceMs: 0 });
});

const record = (over: Partial<HostRecord>): HostRecord => ({
  cluster: "c", hostKey: "h", hostId: "h", generation: 3, reconciledGeneration: 3, podidAssigned: [],
  lastError: null, lastReconciledAt: null, pending: null, etag: "", ...over,
});

test("resync timer: lagging hosts at once, failed hosts only after the cool-down, settled hosts never", () => {
  const now = Date.parse("2026-01-01T01:00:00Z");
  assert.equal(resyncReason(record({ reconciledGeneration: 2 }), now, 900_000), "lagging");
  assert.equal(resyncReason(record({}), now, 900_000), undefined);
  const failedAt = (iso: string) => record({ lastError: { code: "ResourceNotFound", message: "gone", at: iso } });
  assert.equal(resyncReason(failedAt("2026-01-01T00:59:00Z"), now, 900_000), undefined, "no hot loop");
  assert.equal(resyncReason(failedAt("2026-01-01T00:45:00Z"), now, 900_000), "failed");
});

test("instance id: one per cluster + host, whatever the id's case; valid characters only", () => {
  const id = "/subscriptions/S/resourceGroups/RG/providers/Microsoft.Compute/virtualMachineScaleSets/VMSS-1";
  const a = reconcileInstanceId("prod", id);
  assert.equal(a, reconcileInstanceId("prod", id.toLowerCase()));
  assert.notEqual(a, reconcileInstanceId("dev", id));
  assert.notEqual(a, reconcileInstanceId("prod", id.replace("VMSS-1", "VMSS-2")));
  assert.match(a, /^reconcile:prod:[0-9a-f]{24}$/);
});

test("grace period: pokes at or below the reconciled generation are stale; newer or generation-less ones are news", () => {
  assert.equal(isStalePoke({ generation: 4 }, 5), true);
  assert.equal(isStalePoke({ generation: 5 }, 5), true);
  assert.equal(isStalePoke({ generation: 6 }, 5), false);
  assert.equal(isStalePoke({ generation: null }, 5), false);
  assert.equal(isStalePoke(undefined, 5), false);
  assert.equal(isStalePoke("6", 5), false);
});
