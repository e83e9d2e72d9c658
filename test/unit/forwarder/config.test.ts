import assert from "node:assert/strict";
import { test } from "node:test";
import { forwarderConfig, loadForwarderConfig, parseDuration } from "../../../forwarder/config.ts";
import { parseConnectionString, serviceBusEndpoints } from "../../../forwarder/service-bus-endpoints.ts";

const base = { PODID_CLUSTER_NAME: "prod-weu", PODID_SERVICEBUS_CONNECTION_STRING: "Endpoint=sb://x/;SharedAccessKeyName=k;SharedAccessKey=v", POD_NAME: "fwd-0", POD_NAMESPACE: "podid" };

test("durations accept ms, s, m, h and bare milliseconds", () => {
  assert.equal(parseDuration("200ms"), 200);
  assert.equal(parseDuration("30s"), 30_000);
  assert.equal(parseDuration("5m"), 300_000);
  assert.equal(parseDuration("1h"), 3_600_000);
  assert.equal(parseDuration("1500"), 1500);
  assert.equal(parseDuration("1.5s"), 1500);
  assert.equal(parseDuration("five minutes"), undefined);
});

test("defaults: queues, resync 5 min, 200 ms batches, lease from the downward API", () => {
  const r = loadForwarderConfig({ env: base });
  assert.ok(r.ok, r.ok ? "" : r.errors.join("; "));
  const c = r.config;
  assert.equal(c.cluster, "prod-weu");
  assert.equal(c.eventsQueue, "mic-events");
  assert.equal(c.commandsQueue, "mic-commands");
  assert.equal(c.resyncPeriodMs, 300_000);
  assert.equal(c.batchMaxWaitMs, 200);
  assert.equal(c.leaseIdentity, "fwd-0");
  assert.equal(c.leaseNamespace, "podid");
  assert.equal(c.leaseName, "podid-forwarder");
  assert.ok(c.leaseRenewDeadlineMs < c.leaseDurationMs);
});

test("env values are parsed and flags override them", () => {
  const r = loadForwarderConfig({
    env: { ...base, PODID_RESYNC_PERIOD: "2m", PODID_MAX_QUEUED_EVENTS: "50", PODID_HEALTH_PORT: "8081" },
    argv: ["--resync-period=30s", "--events-queue=ev", "--lease-identity=other"],
  });
  assert.ok(r.ok);
  assert.equal(r.config.resyncPeriodMs, 30_000);
  assert.equal(r.config.maxQueuedEvents, 50);
  assert.equal(r.config.healthPort, 8081);
  assert.equal(r.config.eventsQueue, "ev");
  assert.equal(r.config.leaseIdentity, "other");
});

test("Entra ID auth: a fully qualified namespace instead of a connection string", () => {
  const { PODID_SERVICEBUS_CONNECTION_STRING: _cs, ...env } = base;
  const r = loadForwarderConfig({ env: { ...env, PODID_SERVICEBUS_NAMESPACE: "podid.servicebus.windows.net" } });
  assert.ok(r.ok);
  assert.equal(r.config.serviceBusNamespace, "podid.servicebus.windows.net");
  assert.equal(r.config.serviceBusConnectionString, undefined);
});

test("errors name the variable and the flag", () => {
  const cases: Array<[Record<string, string>, string[], RegExp]> = [
    [{ ...base, PODID_CLUSTER_NAME: "" }, [], /PODID_CLUSTER_NAME \(--cluster-name\): required/],
    [{ ...base, PODID_CLUSTER_NAME: "bad/name" }, [], /PODID_CLUSTER_NAME.*cluster name/],
    [{ PODID_CLUSTER_NAME: "c" }, [], /set PODID_SERVICEBUS_CONNECTION_STRING .*PODID_SERVICEBUS_EVENTS_CONNECTION_STRING and PODID_SERVICEBUS_COMMANDS_CONNECTION_STRING .*PODID_SERVICEBUS_NAMESPACE/],
    [{ ...base, PODID_SERVICEBUS_NAMESPACE: "x.servicebus.windows.net" }, [], /set either PODID_SERVICEBUS_NAMESPACE \(Entra ID auth\) or connection strings/],
    [{ ...base, PODID_RESYNC_PERIOD: "soon" }, [], /PODID_RESYNC_PERIOD \(--resync-period\): expected a duration/],
    [{ ...base, PODID_LEASE_DURATION: "5s", PODID_LEASE_RENEW_DEADLINE: "6s" }, [], /PODID_LEASE_RENEW_DEADLINE.*shorter than leaseDurationMs/],
    [{ ...base, PODID_HEALTH_PORT: "70000" }, [], /PODID_HEALTH_PORT/],
    [base, ["--nope=1"], /unknown argument '--nope=1'/],
  ];
  for (const [env, argv, pattern] of cases) {
    const r = loadForwarderConfig({ env, argv });
    assert.equal(r.ok, false, `expected an error for ${JSON.stringify(env)} ${argv.join(" ")}`);
    if (!r.ok) assert.match(r.errors.join("\n"), pattern);
  }
});

test("hostname is the last fallback for the lease identity", () => {
  const { POD_NAME: _p, ...env } = base;
  const r = loadForwarderConfig({ env, hostname: "host-7" });
  assert.ok(r.ok);
  assert.equal(r.config.leaseIdentity, "host-7");
});

test("forwarderConfig fills defaults for code-built configs", () => {
  const c = forwarderConfig({ cluster: "c1", leaseIdentity: "me", healthPort: 0, metricsPort: 0 });
  assert.equal(c.maxQueuedEvents, 10_000);
  assert.equal(c.healthPort, 0);
  assert.throws(() => forwarderConfig({ cluster: "c1", leaseIdentity: "me", leaseDurationMs: 1000, leaseRenewDeadlineMs: 2000 }));
});

const EVENTS_CS = "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=podid-forwarder-send;SharedAccessKey=ZXY=;EntityPath=mic-events";
const COMMANDS_CS = "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=podid-forwarder-listen;SharedAccessKey=Y21k;EntityPath=mic-commands";

test("queue-level SAS: one connection string per queue, each used for its own queue", () => {
  const { PODID_SERVICEBUS_CONNECTION_STRING: _cs, ...env } = base;
  const r = loadForwarderConfig({ env: { ...env, PODID_SERVICEBUS_EVENTS_CONNECTION_STRING: EVENTS_CS, PODID_SERVICEBUS_COMMANDS_CONNECTION_STRING: COMMANDS_CS } });
  assert.ok(r.ok, r.ok ? "" : r.errors.join("; "));
  const e = serviceBusEndpoints(r.config);
  assert.deepEqual(e.events, { kind: "connectionString", connectionString: EVENTS_CS, entityPath: "mic-events", setting: "serviceBusEventsConnectionString" });
  assert.equal(e.commands?.kind === "connectionString" ? e.commands.entityPath : undefined, "mic-commands");
  assert.equal(parseConnectionString(EVENTS_CS).get("sharedaccesskey"), "ZXY=", "values keep their '='");
});

test("a per-queue string overrides the shared one for its queue only; Entra ID serves both", () => {
  const r = loadForwarderConfig({ env: { ...base, PODID_SERVICEBUS_COMMANDS_CONNECTION_STRING: COMMANDS_CS } });
  assert.ok(r.ok, r.ok ? "" : r.errors.join("; "));
  const e = serviceBusEndpoints(r.config);
  assert.equal(e.events?.kind === "connectionString" ? e.events.setting : undefined, "serviceBusConnectionString");
  assert.equal(e.commands?.kind === "connectionString" ? e.commands.setting : undefined, "serviceBusCommandsConnectionString");
  const ns = serviceBusEndpoints(forwarderConfig({ cluster: "c", leaseIdentity: "me", serviceBusNamespace: "ns.servicebus.windows.net" }));
  assert.deepEqual(ns.events, { kind: "namespace", fullyQualifiedNamespace: "ns.servicebus.windows.net" });
  assert.deepEqual(ns.commands, ns.events);
});

test("Service Bus setting errors: a missing queue, a wrong EntityPath, not a connection string — never echoing the key", () => {
  const { PODID_SERVICEBUS_CONNECTION_STRING: _cs, ...env } = base;
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ ...env, PODID_SERVICEBUS_EVENTS_CONNECTION_STRING: EVENTS_CS }, /PODID_SERVICEBUS_COMMANDS_CONNECTION_STRING: required with PODID_SERVICEBUS_EVENTS_CONNECTION_STRING/],
    [{ ...env, PODID_SERVICEBUS_EVENTS_CONNECTION_STRING: COMMANDS_CS, PODID_SERVICEBUS_COMMANDS_CONNECTION_STRING: COMMANDS_CS },
      /PODID_SERVICEBUS_EVENTS_CONNECTION_STRING: its EntityPath 'mic-commands' is not the events queue 'mic-events'/],
    [{ ...env, PODID_SERVICEBUS_CONNECTION_STRING: EVENTS_CS }, /PODID_SERVICEBUS_CONNECTION_STRING: its EntityPath 'mic-events' is not the commands queue 'mic-commands' \(a queue-level rule opens one queue/],
    [{ ...env, PODID_SERVICEBUS_CONNECTION_STRING: "Endpoint=sb://ns/;SharedAccessKeyName=k" }, /PODID_SERVICEBUS_CONNECTION_STRING: not a Service Bus connection string/],
    [{ ...env, PODID_SERVICEBUS_NAMESPACE: "ns.servicebus.windows.net", PODID_SERVICEBUS_COMMANDS_CONNECTION_STRING: COMMANDS_CS }, /not both/],
  ];
  for (const [e, pattern] of cases) {
    const r = loadForwarderConfig({ env: e });
    assert.equal(r.ok, false, `expected an error for ${Object.keys(e).join(",")}`);
    if (!r.ok) {
      assert.match(r.errors.join("\n"), pattern);
      assert.doesNotMatch(r.errors.join("\n"), /ZXY=|Y21k/, "keys stay out of error messages");
    }
  }
});
