// Integration harness for the forwarder: the kube-apiserver peer and the Service Bus peer on
// loopback, real @kubernetes/client-node and @azure/service-bus clients, forwarders built with
// short timings, and a session reader for mic-events. Everything is closed by `close()`.
import { ServiceBusClient, type ServiceBusReceivedMessage, type ServiceBusSessionReceiver } from "@azure/service-bus";
import { Registry } from "prom-client";
import { COMMANDS_QUEUE, EVENTS_QUEUE, type MicCommand } from "../../core/index.ts";
import { forwarderConfig, type ForwarderConfigInput } from "../../forwarder/config.ts";
import { buildForwarder, type Forwarder } from "../../forwarder/forwarder.ts";
import { kubeConfigFor, startKubePeer, type KubeObject, type KubePeer } from "../../sandbox/peers/kube/index.ts";
import {
  startServiceBusPeer, type SasRule, type ServiceBusPeer, type StartServiceBusPeerOptions,
} from "../../sandbox/peers/servicebus/index.ts";
import { silentLogger, waitFor } from "./forwarder-fakes.ts";

export const CLUSTER = "c1";
export const LEASE_NS = "podid-system";

export interface ForwarderClients {
  events: ServiceBusClient;
  commands: ServiceBusClient;
  close(): Promise<void>;
}

/**
 * The rules bicep/ creates: queue-level Send on mic-events and Listen on mic-commands. The first
 * rule (namespace, Manage) is what `bus.connectionString()` and the test's own client use.
 */
export const BICEP_SAS_RULES: SasRule[] = [
  { name: "RootManageSharedAccessKey", key: "cm9vdA==", rights: ["Manage"] },
  { name: "podid-forwarder-send", key: "c2VuZA==", rights: ["Send"], queue: EVENTS_QUEUE },
  { name: "podid-forwarder-listen", key: "bGlzdGVu", rights: ["Listen"], queue: COMMANDS_QUEUE },
];

export interface RunningForwarder {
  forwarder: Forwarder;
  registry: Registry;
  client: ServiceBusClient;
}

export interface Harness {
  kube: KubePeer;
  bus: ServiceBusPeer;
  /** Client for the test's own reads/sends (separate from the forwarders'). */
  testClient: ServiceBusClient;
  /** `clients`: the forwarder's own Service Bus clients (closed by close()); default one peer client. */
  startForwarder(identity?: string, over?: Partial<ForwarderConfigInput>, clients?: ForwarderClients): Promise<RunningForwarder>;
  /** Collects mic-events of the cluster session (a real session receiver). */
  events: EventReader;
  sendCommand(body: unknown, messageId?: string): Promise<void>;
  close(): Promise<void>;
}

export class EventReader {
  readonly received: ServiceBusReceivedMessage[] = [];
  private receiver: ServiceBusSessionReceiver | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  constructor(private readonly client: ServiceBusClient) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        try {
          this.receiver ??= await this.client.acceptSession(EVENTS_QUEUE, CLUSTER);
          const batch = await this.receiver.receiveMessages(50, { maxWaitTimeInMs: 100 });
          for (const m of batch) {
            await this.receiver.completeMessage(m);
            this.received.push(m);
          }
        } catch {
          // outage or lock loss in a test: drop the receiver and accept again
          await this.receiver?.close().catch(() => undefined);
          this.receiver = undefined;
          if (this.running) await new Promise((r) => setTimeout(r, 100));
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.receiver?.close().catch(() => undefined);
  }

  bodies(): Array<Record<string, unknown>> {
    return this.received.map((m) => m.body as Record<string, unknown>);
  }

  /** Waits for a message whose body matches, returning it. */
  async waitFor(pred: (body: Record<string, unknown>, m: ServiceBusReceivedMessage) => boolean, timeoutMs = 8000, what = "event"): Promise<ServiceBusReceivedMessage> {
    let found: ServiceBusReceivedMessage | undefined;
    await waitFor(() => {
      found = this.received.find((m) => pred(m.body as Record<string, unknown>, m));
      return found !== undefined;
    }, timeoutMs, what);
    return found as ServiceBusReceivedMessage;
  }
}

/** Leading, informers synced and the first snapshot sent (a standby is "ready" too, as standby). */
export function leaderReady(r: RunningForwarder): boolean {
  const s = r.forwarder.readiness();
  return r.forwarder.isLeader && s.role === "leader" && s.ready && s.initialSnapshotSent === true;
}

/** Short timings: everything converges within a second or two. */
export function testConfig(identity: string, over: Partial<ForwarderConfigInput> = {}) {
  return forwarderConfig({
    cluster: CLUSTER,
    leaseIdentity: identity,
    leaseNamespace: LEASE_NS,
    listenHost: "127.0.0.1",
    healthPort: 0,
    metricsPort: 0,
    batchMaxWaitMs: 20,
    receiveWaitMs: 200,
    leaseDurationMs: 1000,
    leaseRenewDeadlineMs: 700,
    leaseRetryPeriodMs: 100,
    sendRetryInitialMs: 100,
    sendRetryMaxMs: 500,
    watchRetryInitialMs: 100,
    watchRetryMaxMs: 500,
    receiverRetryInitialMs: 100,
    receiverRetryMaxMs: 500,
    ...over,
  });
}

export function sbClient(bus: ServiceBusPeer): ServiceBusClient {
  // Short SDK retries so an outage surfaces to the forwarder's own retry loop quickly.
  return new ServiceBusClient(bus.connectionString(), { retryOptions: { maxRetries: 1, retryDelayInMs: 100, timeoutInMs: 3000 } });
}

export interface HarnessOptions {
  bookmarkIntervalMs?: number;
  watchExpiredAs?: "event" | "status";
  /** Service Bus auth on: these rules (the first one is the test's own client's). */
  sasRules?: SasRule[];
  acceptJwt?: StartServiceBusPeerOptions["acceptJwt"];
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const kube = await startKubePeer({ bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 200, watchExpiredAs: opts.watchExpiredAs ?? "event" });
  kube.ensureNamespace(LEASE_NS);
  kube.ensureNamespace("shop");
  const bus = await startServiceBusPeer({
    queues: [
      { name: EVENTS_QUEUE, requiresSession: true, duplicateDetectionWindowMs: 600_000 },
      { name: COMMANDS_QUEUE, requiresSession: true, maxDeliveryCount: 10, lockDurationMs: 10_000 },
    ],
    ...(opts.sasRules ? { sasRules: opts.sasRules } : {}),
    ...(opts.acceptJwt ? { acceptJwt: opts.acceptJwt } : {}),
  });
  const testClient = sbClient(bus);
  const running: Array<RunningForwarder & { closeClients(): Promise<void> }> = [];
  const events = new EventReader(testClient);
  const sender = testClient.createSender(COMMANDS_QUEUE);
  return {
    kube, bus, testClient, events,
    async startForwarder(identity = "fwd-a", over = {}, clients) {
      const registry = new Registry();
      const own = clients ?? (() => {
        const c = sbClient(bus);
        return { events: c, commands: c, close: () => c.close() };
      })();
      const forwarder = buildForwarder({
        config: testConfig(identity, over), logger: silentLogger(), registry, kubeConfig: kubeConfigFor(kube),
        serviceBusClient: own.events, commandsServiceBusClient: own.commands,
      });
      await forwarder.start();
      const r = { forwarder, registry, client: own.events, closeClients: () => own.close() };
      running.push(r);
      return r;
    },
    async sendCommand(body, messageId) {
      await sender.sendMessages({ body, sessionId: CLUSTER, contentType: "application/json", ...(messageId ? { messageId } : {}) });
    },
    async close() {
      await events.stop();
      for (const r of running) {
        await r.forwarder.stop();
        await r.closeClients();
      }
      await sender.close();
      await testClient.close();
      await bus.close();
      await kube.close();
    },
  };
}

export function pod(name: string, labels: Record<string, string>, namespace = "shop"): KubeObject {
  return {
    apiVersion: "v1", kind: "Pod",
    metadata: { name, namespace, labels },
    spec: { nodeName: "n1", containers: [{ name: "app", image: "app:1", env: [{ name: "TOKEN", value: "do-not-forward" }] }] },
    status: { phase: "Running", podIP: "10.0.0.9" },
  };
}

export function applyCommand(name: string, status = "Assigned", op: MicCommand["op"] = "apply"): MicCommand {
  return {
    v: 1, cluster: CLUSTER, op,
    assignedIdentity: {
      metadata: { name, namespace: "default" },
      spec: { pod: "web-0", podNamespace: "shop", nodename: "n1", azureIdentityRef: { metadata: { name: "web-id", namespace: "shop" }, spec: { type: 0, clientID: "cid", resourceID: "/subscriptions/s/resourceGroups/r/providers/Microsoft.ManagedIdentity/userAssignedIdentities/web-id" } } },
      status: { status },
    },
  };
}

export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return Number.NaN;
  const data = await m.get();
  return data.values
    .filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))
    .reduce((s, v) => s + v.value, 0);
}
