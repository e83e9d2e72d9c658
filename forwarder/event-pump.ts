// The sending half of the forwarder: drains the coalescing queue into Service Bus message
// batches, and sends snapshots when asked (start-up, resync period, queue overflow).
//
// Ordering: object events are held until the first snapshot went out (it covers everything the
// initial list produced). Capturing a snapshot clears the queue: the informer caches and the
// queue are fed by the same synchronous callbacks, so the capture already holds every queued
// state. Send failures keep the events queued (and a snapshot's unsent parts pending) and retry
// with capped backoff: nothing is lost during a Service Bus outage.
import type { ServiceBusMessage } from "@azure/service-bus";
import type { Logger } from "pino";
import type { SnapshotItem } from "../core/index.ts";
import type { CoalescingEventQueue, QueuedEvent } from "./event-queue.ts";
import { eventMessage, planSnapshot, snapshotMessage } from "./messages.ts";
import { Backoff, sleep, type BackoffOptions } from "./timing.ts";

/** The part of ServiceBusMessageBatch the pump uses. */
export interface OutgoingBatch {
  tryAddMessage(message: ServiceBusMessage): boolean;
  readonly count: number;
}

/** The part of ServiceBusSender the pump uses (a ServiceBusSender satisfies it). */
export interface BatchSender<B extends OutgoingBatch = OutgoingBatch> {
  createMessageBatch(options?: { abortSignal?: AbortSignal }): Promise<B>;
  sendMessages(batch: B, options?: { abortSignal?: AbortSignal }): Promise<void>;
}

export interface EventPumpHooks {
  sent?(count: number, what: "events" | "snapshot"): void;
  sendFailed?(error: unknown): void;
  snapshotSent?(snapshotId: string, parts: number, objects: number): void;
}

export interface EventPumpOptions<B extends OutgoingBatch> {
  cluster: string;
  queue: CoalescingEventQueue;
  sender: BatchSender<B>;
  /** Current listing for a snapshot, or undefined while the informers have not synced. */
  captureSnapshot: () => SnapshotItem[] | undefined;
  newSnapshotId: () => string;
  batchMaxWaitMs: number;
  batchMaxMessages: number;
  snapshotMaxBodyBytes: number;
  retry: BackoffOptions;
  logger: Logger;
  hooks?: EventPumpHooks;
}

interface PendingSnapshot {
  id: string;
  messages: ServiceBusMessage[];
  next: number;
  objects: number;
}

export class EventPump<B extends OutgoingBatch = OutgoingBatch> {
  private readonly abort = new AbortController();
  private readonly backoff: Backoff;
  private snapshotRequested = false;
  private firstSnapshotSent = false;
  private pending: PendingSnapshot | undefined;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private lastSendOk: boolean | undefined;
  private readonly unsubscribe: () => void;

  constructor(private readonly o: EventPumpOptions<B>) {
    this.backoff = new Backoff({ jitter: 0.2, ...o.retry });
    this.unsubscribe = o.queue.onChange(() => this.poke());
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops after the in-flight send (aborted if it is still waiting); unsent events are dropped with the pump. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.poke();
    this.unsubscribe();
    await this.loop;
  }

  /** A full listing goes out as soon as the informers are synced. Idempotent while pending. */
  requestSnapshot(): void {
    this.snapshotRequested = true;
    this.poke();
  }

  /** Undefined until the first send; then whether the latest send succeeded. */
  get serviceBusHealthy(): boolean | undefined {
    return this.lastSendOk;
  }

  get initialSnapshotSent(): boolean {
    return this.firstSnapshotSent;
  }

  /** True when nothing is queued or pending (tests and graceful drains). */
  get idle(): boolean {
    return this.o.queue.size === 0 && this.pending === undefined && !this.snapshotRequested;
  }

  private poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const work = this.nextWork();
      if (work === undefined) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      if (work === "events") await this.linger();
      if (this.stopped) break;
      try {
        if (work === "snapshot") await this.sendSnapshotStep();
        else await this.sendEventsStep();
        this.lastSendOk = true;
        this.backoff.reset();
      } catch (error) {
        if (this.stopped) break;
        this.lastSendOk = false;
        this.o.hooks?.sendFailed?.(error);
        const delay = this.backoff.next();
        this.o.logger.warn({ err: error, retryInMs: delay, queued: this.o.queue.size }, "sending to Service Bus failed; events stay queued");
        await sleep(delay, this.abort.signal);
      }
    }
  }

  private nextWork(): "snapshot" | "events" | undefined {
    if (this.pending) return "snapshot";
    if (this.snapshotRequested) {
      const items = this.o.captureSnapshot();
      if (items !== undefined) {
        this.snapshotRequested = false;
        this.o.queue.clear();
        this.pending = this.planPending(items);
        return "snapshot";
      }
    }
    if (!this.firstSnapshotSent) return undefined;
    return this.o.queue.size > 0 ? "events" : undefined;
  }

  private planPending(items: SnapshotItem[]): PendingSnapshot {
    const id = this.o.newSnapshotId();
    const plan = planSnapshot(this.o.cluster, id, items, this.o.snapshotMaxBodyBytes);
    for (const item of plan.skipped) {
      const m = item.object.metadata;
      this.o.logger.error({ kind: item.kind, namespace: m.namespace, name: m.name }, "object too large for a snapshot message; left out");
    }
    return { id, messages: plan.parts.map(snapshotMessage), next: 0, objects: items.length - plan.skipped.length };
  }

  /** Batch max wait: give a burst the chance to fill a batch, unless it is already full. */
  private async linger(): Promise<void> {
    const deadline = Date.now() + this.o.batchMaxWaitMs;
    while (!this.stopped && this.o.queue.size < this.o.batchMaxMessages && !this.snapshotRequested) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  private async sendEventsStep(): Promise<void> {
    const entries = this.o.queue.peek(this.o.batchMaxMessages);
    if (entries.length === 0) return;
    const signal = this.abort.signal;
    const batch = await this.o.sender.createMessageBatch({ abortSignal: signal });
    const added: QueuedEvent[] = [];
    for (const entry of entries) {
      if (!batch.tryAddMessage(eventMessage(entry.event))) break;
      added.push(entry);
    }
    const first = entries[0];
    if (added.length === 0 && first) {
      // Cannot fit even an empty batch: retrying would block the queue forever.
      this.o.logger.error({ key: first.key }, "event larger than a Service Bus message; dropped");
      this.o.queue.ack([first]);
      return;
    }
    await this.o.sender.sendMessages(batch, { abortSignal: signal });
    this.o.queue.ack(added);
    this.o.hooks?.sent?.(added.length, "events");
  }

  private async sendSnapshotStep(): Promise<void> {
    const p = this.pending;
    if (!p) return;
    const batch = await this.o.sender.createMessageBatch({ abortSignal: this.abort.signal });
    let n = 0;
    while (p.next + n < p.messages.length) {
      const message = p.messages[p.next + n];
      if (!message || !batch.tryAddMessage(message)) break;
      n += 1;
    }
    if (n === 0) {
      this.o.logger.error({ snapshotId: p.id }, "snapshot part does not fit a Service Bus batch; snapshot abandoned");
      this.pending = undefined;
      this.firstSnapshotSent = true; // don't hold object events behind a snapshot that can never go
      return;
    }
    await this.o.sender.sendMessages(batch, { abortSignal: this.abort.signal });
    p.next += n;
    this.o.hooks?.sent?.(n, "snapshot");
    if (p.next >= p.messages.length) {
      this.pending = undefined;
      this.firstSnapshotSent = true;
      this.o.hooks?.snapshotSent?.(p.id, p.messages.length, p.objects);
      this.o.logger.info({ snapshotId: p.id, parts: p.messages.length, objects: p.objects }, "snapshot sent");
    }
  }
}
