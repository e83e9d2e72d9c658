// host.json's serviceBus section → trigger driver options.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parseTimeSpan, serviceBusHostOptions } from "../../sandbox/servicebus-trigger/index.ts";

test("TimeSpan text as host.json writes it", () => {
  assert.equal(parseTimeSpan("00:05:00"), 300_000);
  assert.equal(parseTimeSpan("00:00:00.80"), 800);
  assert.equal(parseTimeSpan("1.02:00:01.5"), ((26 * 60) * 60 + 1) * 1000 + 500);
  assert.throws(() => parseTimeSpan("5m"), /TimeSpan/);
});

test("the repository's host.json drives the driver", () => {
  const opts = serviceBusHostOptions(JSON.parse(readFileSync("host.json", "utf8")));
  assert.equal(opts.maxBatchSize, 100);
  assert.equal(opts.maxConcurrentSessions, 8);
  assert.equal(opts.maxAutoLockRenewalDurationMs, 300_000);
});

test("sessions must be processed one message at a time", () => {
  assert.throws(() => serviceBusHostOptions({ extensions: { serviceBus: { maxConcurrentCallsPerSession: 4 } } }), /maxConcurrentCallsPerSession/);
  assert.throws(() => serviceBusHostOptions({ extensions: { serviceBus: { sessionIdleTimeout: "soon" } } }), /TimeSpan/);
  assert.deepEqual(serviceBusHostOptions({}), {});
});
