// The forwarder's Service Bus credentials as bicep/ sets them up, against a peer that enforces
// claims: the least-privilege SAS rules (Send on mic-events, Listen on mic-commands, one connection
// string each), and Entra ID with roles scoped per queue (forwarderAuth=entraId). Each works end to
// end; a credential without Listen on mic-commands gets events out but no command in (nothing is
// applied, nothing is lost, and the receiver-error metric tells the operator).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { TokenCredential } from "@azure/identity";
import { COMMANDS_QUEUE, EVENTS_QUEUE } from "../../../core/index.ts";
import { forwarderConfig, loadForwarderConfig } from "../../../forwarder/config.ts";
import { createServiceBusClients } from "../../../forwarder/service-bus-endpoints.ts";
import { audiencePath } from "../../../sandbox/peers/servicebus/cbs.ts";
import { waitFor } from "../../helpers/forwarder-fakes.ts";
import { applyCommand, BICEP_SAS_RULES, CLUSTER, type Harness, leaderReady, metricValue, startHarness } from "../../helpers/forwarder-harness.ts";

const AAI = "azureassignedidentities";
const clientOptions = { retryOptions: { maxRetries: 1, retryDelayInMs: 100, timeoutInMs: 3000 } };
let h: Harness;

before(async () => {
  h = await startHarness({
    sasRules: [...BICEP_SAS_RULES, { name: "send-only", key: "c2VuZC1vbmx5", rights: ["Send"] }],
    // Entra ID: what forwarder-roles.bicep grants (Data Sender on mic-events, Data Receiver on
    // mic-commands), and a principal that only got the Sender role.
    acceptJwt: (token, audience) => {
      const queue = audiencePath(audience).split("/")[0];
      if (token === "forwarder-jwt") return queue === EVENTS_QUEUE ? ["Send"] : queue === COMMANDS_QUEUE ? ["Listen"] : false;
      if (token === "sender-only-jwt") return queue === EVENTS_QUEUE ? ["Send"] : false;
      return false;
    },
  });
  h.events.start();
});
after(async () => { await h.close(); });

test("two queue-level connection strings (Send on mic-events, Listen on mic-commands): events flow and commands are applied", async () => {
  // The settings exactly as the Secret gives them, through the entry point's loader.
  const loaded = loadForwarderConfig({
    env: {
      PODID_CLUSTER_NAME: CLUSTER, POD_NAME: "fwd-sas",
      PODID_SERVICEBUS_EVENTS_CONNECTION_STRING: h.bus.connectionString("podid-forwarder-send"),
      PODID_SERVICEBUS_COMMANDS_CONNECTION_STRING: h.bus.connectionString("podid-forwarder-listen"),
    },
  });
  assert.ok(loaded.ok, loaded.ok ? "" : loaded.errors.join("; "));
  const clients = createServiceBusClients(loaded.config, { clientOptions });
  assert.notEqual(clients.events, clients.commands, "one client per key");
  const fwd = await h.startForwarder("fwd-sas", {
    serviceBusEventsConnectionString: loaded.config.serviceBusEventsConnectionString,
    serviceBusCommandsConnectionString: loaded.config.serviceBusCommandsConnectionString,
  }, clients);
  await waitFor(() => leaderReady(fwd), 8000, "forwarder ready");
  await h.events.waitFor((b) => b.kind === "Snapshot", 8000, "snapshot sent with the Send-only key");
  await waitFor(() => fwd.forwarder.readiness().commandSession === true, 8000, "commands session held with the Listen-only key");

  await h.sendCommand(applyCommand("web-0-shop-web-id"));
  await waitFor(() => (h.kube.get(AAI, "default", "web-0-shop-web-id")?.status as { status?: string } | undefined)?.status === "Assigned", 8000, "Assigned");
  await waitFor(() => h.bus.queueDepth(COMMANDS_QUEUE).active === 0, 5000, "command completed");
  assert.equal(await metricValue(fwd.registry, "podid_forwarder_command_receiver_errors_total"), 0);
  await fwd.forwarder.stop();
});

test("one Send-only connection string for both queues: events flow, the commands receiver is refused, commands wait", async () => {
  const config = forwarderConfig({ cluster: CLUSTER, leaseIdentity: "x", serviceBusConnectionString: h.bus.connectionString("send-only") });
  const clients = createServiceBusClients(config, { clientOptions });
  assert.equal(clients.events, clients.commands, "one connection string, one client");
  const fwd = await h.startForwarder("fwd-send-only", { receiverRetryInitialMs: 50, receiverRetryMaxMs: 100 }, clients);
  await waitFor(() => leaderReady(fwd), 8000, "forwarder ready (events side)");
  const snapshots = () => h.events.bodies().filter((b) => b.kind === "Snapshot").length;
  const before = snapshots();
  fwd.forwarder.requestSnapshot();
  await waitFor(() => snapshots() > before, 8000, "a snapshot sent with the Send right");

  await h.sendCommand(applyCommand("web-1-shop-web-id"));
  // Several receive attempts happen meanwhile (retry 50-100 ms); each is refused for lack of Listen.
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(fwd.forwarder.readiness().commandSession, false);
  assert.equal(h.kube.get(AAI, "default", "web-1-shop-web-id"), undefined, "nothing applied");
  assert.equal(h.bus.queueDepth(COMMANDS_QUEUE).active, 1, "the command waits in the queue");
  assert.equal(h.bus.queueDepth(COMMANDS_QUEUE).deadLettered, 0);
  // Operators see it: the receiver error counter climbs (docs/operations.md alerts on it).
  assert.ok(await metricValue(fwd.registry, "podid_forwarder_command_receiver_errors_total") >= 2);
  await fwd.forwarder.stop();
});

const credential = (token: string): TokenCredential => ({ getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) });
/** The peer's address as a fully qualified namespace (the SDK appends "/"; the empty pair keeps the emulator flag). */
const namespaceOf = (bus: Harness["bus"]) => `${bus.host}:${bus.port};UseDevelopmentEmulator=true;x=`;

test("Entra ID (PODID_SERVICEBUS_NAMESPACE + a token credential) with the per-queue data roles: events flow and commands are applied", async () => {
  // The schema checks a real host name; the emulator address is set past it, as an embedder may.
  const config = { ...forwarderConfig({ cluster: CLUSTER, leaseIdentity: "x", serviceBusNamespace: "podid.servicebus.windows.net" }), serviceBusNamespace: namespaceOf(h.bus) };
  const clients = createServiceBusClients(config, { clientOptions, credential: credential("forwarder-jwt") });
  assert.equal(clients.events, clients.commands, "one namespace, one client");
  const fwd = await h.startForwarder("fwd-entra", {}, clients);
  await waitFor(() => leaderReady(fwd), 8000, "forwarder ready");
  await waitFor(() => fwd.forwarder.readiness().commandSession === true, 8000, "commands session held with the Receiver role");
  await h.sendCommand(applyCommand("web-2-shop-web-id"));
  await waitFor(() => (h.kube.get(AAI, "default", "web-2-shop-web-id")?.status as { status?: string } | undefined)?.status === "Assigned", 8000, "Assigned");
  // The command the Send-only forwarder could not receive (previous test) was kept, and is applied now.
  await waitFor(() => h.kube.get(AAI, "default", "web-1-shop-web-id") !== undefined, 8000, "the earlier command applied");
  await waitFor(() => h.bus.queueDepth(COMMANDS_QUEUE).active === 0, 5000, "all commands completed");
  await fwd.forwarder.stop();
});

test("Entra ID with only the Sender role: events flow, commands are refused and wait", async () => {
  const config = { ...forwarderConfig({ cluster: CLUSTER, leaseIdentity: "x", serviceBusNamespace: "podid.servicebus.windows.net" }), serviceBusNamespace: namespaceOf(h.bus) };
  const clients = createServiceBusClients(config, { clientOptions, credential: credential("sender-only-jwt") });
  const fwd = await h.startForwarder("fwd-entra-sender", { receiverRetryInitialMs: 50, receiverRetryMaxMs: 100 }, clients);
  await waitFor(() => leaderReady(fwd), 8000, "forwarder ready (events side)");
  await h.sendCommand(applyCommand("web-3-shop-web-id"));
  await waitFor(async () => await metricValue(fwd.registry, "podid_forwarder_command_receiver_errors_total") >= 2, 5000, "refused receives");
  assert.equal(fwd.forwarder.readiness().commandSession, false);
  assert.equal(h.kube.get(AAI, "default", "web-3-shop-web-id"), undefined, "nothing applied");
  assert.equal(h.bus.queueDepth(COMMANDS_QUEUE).active, 1, "the refused command waits in the queue");
  await fwd.forwarder.stop();
});
