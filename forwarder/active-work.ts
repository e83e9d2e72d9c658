// What the leader does during one leadership term: informers → coalescing queue → event pump,
// periodic snapshots, and the mic-commands receiver. A new term builds everything afresh
// (new queue, new sender, new snapshot id series), so a term's leftovers never leak into the next.
import { randomUUID } from "node:crypto";
import type { ServiceBusClient, ServiceBusMessageBatch, ServiceBusReceivedMessage, ServiceBusSender } from "@azure/service-bus";
import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import type { AssignedIdentityStore } from "./assigned-identity-store.ts";
import { handleCommand } from "./command-handler.ts";
import { CommandReceiver } from "./command-receiver.ts";
import type { ForwarderConfig } from "./config.ts";
import { toObjectEvent } from "./event-mapper.ts";
import { EventPump } from "./event-pump.ts";
import { CoalescingEventQueue } from "./event-queue.ts";
import { InformerSet, type WatchTarget } from "./informers.ts";
import type { ForwarderMetrics } from "./metrics.ts";

export interface ActiveWorkOptions {
  config: ForwarderConfig;
  kubeConfig: KubeConfig;
  /** Sends mic-events. */
  serviceBusClient: ServiceBusClient;
  /** Receives mic-commands (may be the same client). */
  commandsServiceBusClient: ServiceBusClient;
  assignedIdentities: AssignedIdentityStore;
  logger: Logger;
  metrics: ForwarderMetrics;
  watchTargets?: WatchTarget[];
}

export class ActiveWork {
  private readonly queue: CoalescingEventQueue;
  private readonly informers: InformerSet;
  private readonly pump: EventPump<ServiceBusMessageBatch>;
  private readonly receiver: CommandReceiver<ServiceBusReceivedMessage>;
  private readonly sender: ServiceBusSender;
  private resyncTimer: NodeJS.Timeout | undefined;
  private snapshotSeq = 0;
  /** Unique per term, so snapshot ids never repeat across restarts or leaders. */
  private readonly runId = `${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`;

  constructor(private readonly o: ActiveWorkOptions) {
    const c = o.config;
    const log = o.logger;
    this.queue = new CoalescingEventQueue(c.maxQueuedEvents);
    this.queue.onChange(() => o.metrics.queueDepth.set(this.queue.size));
    this.sender = o.serviceBusClient.createSender(c.eventsQueue);
    this.informers = new InformerSet({
      kc: o.kubeConfig,
      ...(o.watchTargets ? { targets: o.watchTargets } : {}),
      retry: { initialMs: c.watchRetryInitialMs, maxMs: c.watchRetryMaxMs },
      logger: log,
      onChange: (kind, change, object) => {
        const mapped = toObjectEvent(c.cluster, kind, change, object);
        if (!mapped.ok) {
          log.warn({ kind, name: object.metadata?.name, namespace: object.metadata?.namespace, reason: mapped.reason }, "object does not match the contract; not forwarded");
          return;
        }
        o.metrics.events.inc({ kind, op: mapped.event.op });
        if (this.queue.push(mapped.key, mapped.event) === "overflow") {
          log.warn({ maxQueuedEvents: c.maxQueuedEvents }, "event queue full: dropped queued events, a snapshot replaces them");
          this.pump.requestSnapshot();
        }
      },
      onSynced: () => {
        log.info("informers synced; sending the initial snapshot");
        this.pump.requestSnapshot();
      },
      onRestart: (kind) => o.metrics.watchRestarts.inc({ kind }),
    });
    this.pump = new EventPump<ServiceBusMessageBatch>({
      cluster: c.cluster,
      queue: this.queue,
      sender: this.sender,
      captureSnapshot: () => this.informers.capture(),
      newSnapshotId: () => `${this.runId}-${++this.snapshotSeq}`,
      batchMaxWaitMs: c.batchMaxWaitMs,
      batchMaxMessages: c.batchMaxMessages,
      snapshotMaxBodyBytes: c.snapshotMaxBodyBytes,
      retry: { initialMs: c.sendRetryInitialMs, maxMs: c.sendRetryMaxMs },
      logger: log,
      hooks: {
        sent: (n) => o.metrics.messagesSent.inc(n),
        sendFailed: () => o.metrics.sendErrors.inc(),
        snapshotSent: () => o.metrics.snapshots.inc(),
      },
    });
    this.receiver = new CommandReceiver({
      client: o.commandsServiceBusClient,
      queue: c.commandsQueue,
      cluster: c.cluster,
      handle: (body) => handleCommand(body, { cluster: c.cluster, store: o.assignedIdentities, maxAttempts: c.commandMaxAttempts }),
      receiveWaitMs: c.receiveWaitMs,
      retry: { initialMs: c.receiverRetryInitialMs, maxMs: c.receiverRetryMaxMs },
      logger: log,
      onReceiverError: () => o.metrics.receiverErrors.inc(),
      onSettled: (d) => o.metrics.commands.inc({
        op: d.op,
        result: d.action === "complete" ? "completed" : d.action === "deadLetter" ? "dead_lettered" : "abandoned",
      }),
    });
  }

  async start(): Promise<void> {
    this.pump.start();
    this.receiver.start();
    this.resyncTimer = setInterval(() => this.pump.requestSnapshot(), this.o.config.resyncPeriodMs);
    // Informers start in the background: a slow or failing list must not block the election loop.
    void this.informers.start();
  }

  async stop(): Promise<void> {
    clearInterval(this.resyncTimer);
    await this.informers.stop();
    await Promise.all([this.pump.stop(), this.receiver.stop()]);
    await this.sender.close().catch((e: unknown) => this.o.logger.warn({ err: e }, "closing the events sender failed"));
    this.o.metrics.queueDepth.set(0);
  }

  /** Request an immediate snapshot (e.g. the sandbox's "resync now"). */
  requestSnapshot(): void {
    this.pump.requestSnapshot();
  }

  status(): { synced: boolean; serviceBus: boolean | undefined; commandSession: boolean; queued: number; initialSnapshotSent: boolean } {
    return {
      synced: this.informers.synced,
      serviceBus: this.pump.serviceBusHealthy,
      commandSession: this.receiver.sessionHeld,
      queued: this.queue.size,
      initialSnapshotSent: this.pump.initialSnapshotSent,
    };
  }
}
