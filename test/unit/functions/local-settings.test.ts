// local.settings.sample.json: exactly the settings the app reads (collected from the code and
// host.json by the same helper the Bicep check uses), values that load with Azurite and the
// Service Bus emulator, and every one documented in functions/README.md.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { loadSettings } from "../../../functions/settings.ts";
import { resolveServiceBusConnection } from "../../../functions/servicebus/connection.ts";
import { resolveStorageConnection, stateTableClient } from "../../../functions/storage/state-table.ts";
import { functionAppSettingUses } from "../../helpers/deploy/app-settings.ts";

const REPO = join(import.meta.dirname, "..", "..", "..");
const sample = JSON.parse(readFileSync(join(REPO, "local.settings.sample.json"), "utf8")) as { IsEncrypted: boolean; Values: Record<string, string> };
/** Read by the Functions host itself (Core Tools refuses to start without it), not by the app. */
const HOST_ONLY = ["FUNCTIONS_WORKER_RUNTIME"];

test("the sample's Values are exactly the settings the app reads, plus the host's worker runtime", () => {
  assert.equal(sample.IsEncrypted, false);
  const read = new Set(functionAppSettingUses(REPO).map((u) => u.name));
  assert.ok(read.has("PODID_NODE_RESOURCE_GROUPS") && read.has("ServiceBusConnection") && read.has("AzureWebJobsStorage"), [...read].join(", "));
  assert.deepEqual(Object.keys(sample.Values).sort(), [...read, ...HOST_ONLY].sort());
  assert.equal(sample.Values.FUNCTIONS_WORKER_RUNTIME, "node");
  for (const [k, v] of Object.entries(sample.Values)) assert.equal(typeof v, "string", `${k}: app settings are strings`);
});

test("the sample's values load: settings valid, storage is Azurite, Service Bus the emulator", () => {
  const s = loadSettings(sample.Values);
  assert.equal(s.mic.nodeResourceGroups.length, 1);
  assert.equal(s.mic.allowedIdentityScopes.length, 1);
  assert.equal(s.stateTable, "podidstate");
  assert.equal(s.arm.scope, "https://management.azure.com/.default");
  assert.deepEqual(resolveStorageConnection(sample.Values), { kind: "connectionString", connectionString: "UseDevelopmentStorage=true" });
  const table = stateTableClient(sample.Values, s.stateTable);
  assert.match(table.url, /^http:\/\/127\.0\.0\.1:10002\/devstoreaccount1/);
  const sb = resolveServiceBusConnection("ServiceBusConnection", sample.Values);
  assert.equal(sb.kind, "connectionString");
  assert.match(sb.kind === "connectionString" ? sb.connectionString : "", /UseDevelopmentEmulator=true/);
  // host.json's %PODID_TASK_HUB% must resolve to a valid hub name.
  assert.match(sample.Values.PODID_TASK_HUB ?? "", /^[A-Za-z][A-Za-z0-9]{2,44}$/);
});

test("every sample setting has a row in functions/README.md's settings table", () => {
  const readme = readFileSync(join(REPO, "functions", "README.md"), "utf8");
  const documented = new Set([...readme.matchAll(/^\| `([A-Za-z][A-Za-z0-9_]*)` \|/gm)].map((m) => m[1] ?? ""));
  for (const key of Object.keys(sample.Values)) assert.ok(documented.has(key), `${key} is not documented`);
});

test("loading without the required scope setting names it", () => {
  const { PODID_NODE_RESOURCE_GROUPS: _dropped, ...rest } = sample.Values;
  assert.throws(() => loadSettings(rest), (e: unknown) => e instanceof Error && /PODID_NODE_RESOURCE_GROUPS/.test(e.message));
});
