// The function app in bicep/: Flex Consumption done the current way (no deprecated settings),
// identity-based connections, every setting the MIC reads set by the template, and queues and
// storage configured as DESIGN §2/§4.2 need.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { deepTokens, render } from "../../helpers/deploy/bicep-lexer.ts";
import { Conditional, exprText, firstObjectIn, isObjectValue, parseValue, type ObjectValue, type Value } from "../../helpers/deploy/bicep-parse.ts";
import { bodyValue, declaration, file, loadAll, rel } from "../../helpers/deploy/bicep-files.ts";
import { functionAppSettingUses, provides } from "../../helpers/deploy/app-settings.ts";

const all = loadAll();
const main = file(all, "bicep/main.bicep");
const fnApp = file(all, "bicep/modules/function-app.bicep");
const DEPRECATED_ON_FLEX = ["FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_EXTENSION_VERSION", "WEBSITE_RUN_FROM_PACKAGE", "WEBSITE_NODE_DEFAULT_VERSION",
  "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING", "WEBSITE_CONTENTSHARE", "APPINSIGHTS_INSTRUMENTATIONKEY"];
const obj = (v: Value | undefined): ObjectValue => { assert.ok(isObjectValue(v), JSON.stringify(v)); return v; };
const expr = exprText;

function appSettingNames(): string[] {
  const settings = firstObjectIn(declaration(main, "appSettings").value);
  assert.ok(settings, "main.bicep's appSettings is union({...}, additionalAppSettings)");
  return Object.keys(settings);
}

test("Flex Consumption plan (FC1, Linux) and a function app configured through functionAppConfig", () => {
  const plan = bodyValue(declaration(fnApp, "plan"));
  assert.deepEqual(plan.sku, { name: "FC1", tier: "FlexConsumption" });
  assert.equal(obj(plan.properties).reserved, true);
  const site = bodyValue(declaration(fnApp, "site"));
  assert.equal(site.kind, "functionapp,linux");
  assert.deepEqual(site.identity, { type: "SystemAssigned" });
  const props = obj(site.properties);
  assert.equal(props.httpsOnly, true);
  const cfg = obj(props.functionAppConfig);
  const storage = obj(obj(cfg.deployment).storage);
  assert.equal(storage.type, "blobContainer");
  assert.deepEqual(storage.authentication, { type: "SystemAssignedIdentity" });
  assert.equal(expr(storage.value), "deploymentContainerUrl");
  assert.equal(obj(cfg.runtime).name, "node");
  assert.equal(expr(obj(cfg.runtime).version), "nodeVersion");
  assert.deepEqual(Object.keys(obj(cfg.scaleAndConcurrency)).sort(), ["instanceMemoryMB", "maximumInstanceCount"]);
  // Node 22 unless told otherwise.
  assert.equal(render(declaration(main, "nodeVersion").value), "'22'");
});

test("no setting Flex Consumption rejects or that predates it appears anywhere in bicep/", () => {
  for (const f of all) {
    for (const t of deepTokens(f.tokens)) {
      for (const name of DEPRECATED_ON_FLEX) assert.ok(!t.text.includes(name), `${rel(f)}:${t.line} mentions ${name}`);
    }
  }
});

test("connections are identity-based: storage by account name, Service Bus by namespace, no connection strings", () => {
  const names = appSettingNames();
  assert.ok(names.includes("AzureWebJobsStorage__accountName"));
  assert.ok(names.includes("ServiceBusConnection__fullyQualifiedNamespace"));
  assert.ok(!names.includes("AzureWebJobsStorage") && !names.includes("ServiceBusConnection"), "no connection-string form");
  const settings = obj(firstObjectIn(declaration(main, "appSettings").value));
  assert.equal(settings.AzureWebJobsStorage__credential, "managedidentity");
  assert.equal(settings.APPLICATIONINSIGHTS_AUTHENTICATION_STRING, "Authorization=AAD");
  assert.match(expr(settings.APPLICATIONINSIGHTS_CONNECTION_STRING), /appInsights \. properties \. ConnectionString/);
});

test("every app setting the MIC's code and host.json read is set by the template", () => {
  const uses = functionAppSettingUses();
  assert.ok(uses.some((u) => u.name === "PODID_TASK_HUB"), "host.json's %PODID_TASK_HUB% is collected");
  const names = appSettingNames();
  const missing = uses.filter((u) => !provides(names, u)).map((u) => `${u.name} (${u.where})`);
  assert.deepEqual([...new Set(missing)], []);
});

test("the setting collector finds env reads, settings-module keys, connections and %placeholders%", (t) => {
  const root = mkdtempSync(join(tmpdir(), "podid-settings-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, "functions", "app"), { recursive: true });
  writeFileSync(join(root, "functions", "app", "x.ts"), "const a = process.env.PODID_A; const b = process.env[\"PODID_B\"];\napp.serviceBusQueue('q', { connection: \"SbConn\" });\n");
  writeFileSync(join(root, "functions", "app", "settings.ts"), "export const S = z.object({ PODID_C: z.string(), camelCase: z.string() });\n");
  writeFileSync(join(root, "host.json"), JSON.stringify({ extensions: { durableTask: { hubName: "%PODID_D%" } } }));
  const names = [...new Set(functionAppSettingUses(root).map((u) => `${u.kind}:${u.name}`))].sort();
  assert.deepEqual(names, ["connection:AzureWebJobsStorage", "connection:SbConn", "setting:PODID_A", "setting:PODID_B", "setting:PODID_C", "setting:PODID_D"]);
  assert.equal(provides(["X__fullyQualifiedNamespace"], { name: "X", where: "", kind: "connection" }), true);
  assert.equal(provides(["PODID_A"], { name: "PODID_B", where: "", kind: "setting" }), false);
});

test("both queues: sessions, duplicate detection with a window, bounded deliveries, dead-letter on expiry", () => {
  const sb = file(all, "bicep/modules/service-bus.bicep");
  const q = obj(parseValue(declaration(sb, "queueProperties").value));
  assert.equal(q.requiresSession, true);
  assert.equal(q.requiresDuplicateDetection, true);
  assert.equal(q.deadLetteringOnMessageExpiration, true);
  assert.match(expr(q.duplicateDetectionHistoryTimeWindow), /queueSettings/);
  assert.match(expr(q.maxDeliveryCount), /queueSettings/);
  assert.equal(expr(obj(bodyValue(declaration(sb, "commandsQueue"))).properties), "queueProperties");
  // mic-events: the same properties, with its own (lower) delivery count (ADR 0002).
  assert.equal(expr(obj(bodyValue(declaration(sb, "eventsQueue"))).properties), "union ( queueProperties , { maxDeliveryCount : eventsMaxDeliveryCount } )");
  assert.equal(render(declaration(main, "eventsMaxDeliveryCount").value), "5");
  const queueNames = obj(parseValue(declaration(main, "queueNames").value));
  assert.deepEqual(queueNames, { events: "mic-events", commands: "mic-commands" });
  const defaults = obj(parseValue(declaration(main, "queueSettings").value));
  assert.equal(defaults.duplicateDetectionHistoryTimeWindow, "PT10M");
  assert.equal(typeof defaults.maxDeliveryCount, "number");
  assert.equal(obj(bodyValue(declaration(sb, "namespace")).sku).name, "Standard");
});

test("forwarder SAS rules are queue-scoped Send on mic-events and Listen on mic-commands, only in sas mode", () => {
  const sb = file(all, "bicep/modules/service-bus.bicep");
  const rule = (n: string): { condition: string; body: ObjectValue } => {
    const v = parseValue(declaration(sb, n).value);
    assert.ok(v instanceof Conditional, `${n} is conditional`);
    return { condition: v.condition, body: obj(v.body) };
  };
  assert.equal(rule("eventsSendRule").condition, "sas");
  assert.equal(expr(rule("eventsSendRule").body.parent), "eventsQueue");
  assert.deepEqual(obj(rule("eventsSendRule").body.properties).rights, ["Send"]);
  assert.equal(rule("commandsListenRule").condition, "sas");
  assert.equal(expr(rule("commandsListenRule").body.parent), "commandsQueue");
  assert.deepEqual(obj(rule("commandsListenRule").body.properties).rights, ["Listen"]);
  // Entra ID mode turns SAS off for the whole namespace.
  assert.equal(expr(obj(bodyValue(declaration(sb, "namespace")).properties).disableLocalAuth), "! sas");
  // The forwarder takes one connection string per queue, so no namespace-wide rule is created.
  for (const f of all) {
    for (const d of f.declarations.filter((x) => x.keyword === "resource")) {
      assert.doesNotMatch(render(d.head), /namespaces\/authorizationRules@/i, `${rel(f)}: ${d.name} is a namespace-level SAS rule`);
    }
  }
  assert.deepEqual(Object.keys(obj(parseValue(declaration(sb, "ruleNames").value))).sort(), ["commandsListen", "eventsSend"]);
});

test("storage: no shared keys, no public blobs, TLS 1.2, a deployment container and the state table", () => {
  const st = file(all, "bicep/modules/storage.bicep");
  const p = obj(bodyValue(declaration(st, "account")).properties);
  assert.equal(p.allowSharedKeyAccess, false);
  assert.equal(p.allowBlobPublicAccess, false);
  assert.equal(p.minimumTlsVersion, "TLS1_2");
  assert.equal(p.supportsHttpsTrafficOnly, true);
  assert.equal(expr(bodyValue(declaration(st, "deploymentContainer")).name), "deploymentContainerName");
  assert.equal(expr(bodyValue(declaration(st, "stateTable")).name), "stateTableName");
});

test("outputs give the cluster install what it needs", () => {
  const outputs = main.declarations.filter((d) => d.keyword === "output").map((d) => d.name);
  for (const o of ["clusterName", "serviceBusNamespaceName", "serviceBusFullyQualifiedNamespace", "queues", "forwarderSasRules",
    "functionAppName", "functionAppHostName", "functionAppPrincipalId"]) assert.ok(outputs.includes(o), `output ${o}`);
});
