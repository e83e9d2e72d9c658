// The ARM adapter (functions/mic/arm/compute-hosts.ts) against the ARM peer over HTTPS: the
// configured endpoint and token scope are the ones used (sovereign clouds, the sandbox), the
// deployed app's credential is DefaultAzureCredential, and the SDK's own retries are off so a
// 429 reaches the orchestration (durable backoff) instead of sleeping inside an activity.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { DefaultAzureCredential, type TokenCredential } from "@azure/identity";
import { getHostActivity } from "../../../functions/mic/activities/arm-activities.ts";
import { createComputeHosts } from "../../../functions/mic/arm/compute-hosts.ts";
import { defaultCredentialFactory } from "../../../functions/production-deps.ts";
import { startArmPeer, type ArmPeer } from "../../../sandbox/peers/arm/index.ts";
import { testPki } from "../../../sandbox/pki.ts";
import { armIdentity, startMicTestApp, type MicTestApp } from "../../helpers/mic-app.ts";
import { NODE_RG, SUB } from "../../helpers/mic-fixtures.ts";

let arm: ArmPeer;
let app: MicTestApp;
before(async () => {
  const pki = testPki();
  arm = await startArmPeer({ cert: pki.cert, key: pki.key, operationDurationMs: 0 });
  app = await startMicTestApp();
});
after(async () => {
  await arm.close();
  await app.stop();
});

test("endpoint and token scope come from the settings", async () => {
  const scopes: string[][] = [];
  const credential: TokenCredential = {
    getToken: (s) => {
      scopes.push(Array.isArray(s) ? [...s] : [s]);
      return Promise.resolve({ token: "t", expiresOnTimestamp: Date.now() + 3_600_000 });
    },
  };
  const hostId = arm.addScaleSet({ subscriptionId: SUB, resourceGroup: NODE_RG, name: "vmss-gov", location: "usgovvirginia" });
  const hosts = createComputeHosts({ endpoint: arm.url, scope: "https://management.usgovcloudapi.net/.default", credential });
  const got = await hosts.getIdentity(hostId);
  assert.deepEqual(got.userAssignedIdentities, {});
  assert.ok(scopes.length > 0 && scopes.every((s) => s.join(" ") === "https://management.usgovcloudapi.net/.default"), JSON.stringify(scopes));
  assert.equal(arm.log.at(-1)?.method, "GET", "the request went to the configured endpoint");
});

test("the deployed app authenticates to ARM with DefaultAzureCredential", () => {
  assert.ok(defaultCredentialFactory("arm") instanceof DefaultAzureCredential);
});

test("a 429 is returned to the orchestration at once, classified, with Retry-After (no SDK retry inside the activity)", async () => {
  const hostId = app.arm.addScaleSet({ subscriptionId: SUB, resourceGroup: NODE_RG, name: "vmss-throttled", location: "westeurope" });
  armIdentity(app.arm, "id-throttled");
  app.arm.script429(1, 45, { method: "GET", pathPattern: "vmss-throttled" });
  const before = app.arm.log.length;
  const started = Date.now();
  const r = await getHostActivity(app.deps, { hostId });
  assert.ok(Date.now() - started < 5_000, "did not sleep Retry-After");
  assert.ok(!r.ok);
  assert.deepEqual([r.failure.class, r.failure.status, r.failure.retryAfterMs], ["retryable", 429, 45_000]);
  assert.equal(app.arm.log.length - before, 1, "one request");
  const again = await getHostActivity(app.deps, { hostId });
  assert.ok(again.ok, "the next try succeeds");
});
