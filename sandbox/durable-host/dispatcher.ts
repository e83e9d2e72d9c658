// The dispatcher half of the durable host: DTFx's orchestration and activity dispatchers. One
// episode at a time (orchestrators are cheap and deterministic), activities concurrently up to
// a limit, timers as delayed messages on a virtual or real clock. All state lives in the
// InstanceStore; memory only mirrors the pending messages and work.
import { randomUUID } from "node:crypto";
import type { CapturedApp } from "../functions-kit/index.ts";
import { runEpisode } from "./episode.ts";
import { EventType, EventTypeName, event } from "./history.ts";
import type { HistoryEvent } from "./history.ts";
import { invokeActivity } from "./invoke.ts";
import type { InstanceStore, Message, WorkItem } from "./store.ts";

export interface HostOptions {
  app: CapturedApp;
  store: InstanceStore;
  clock: "virtual" | "real";
  /** Virtual clock start (default: the real time at start). */
  virtualStart?: Date;
  /** Activities run at the same time (default 4). */
  activityConcurrency?: number;
}

export interface HostLogEntry {
  at: string;
  kind: "episode" | "activity" | "error";
  instanceId: string;
  detail: string;
}

const CONTROL: readonly number[] = [EventType.ExecutionTerminated, EventType.ExecutionSuspended, EventType.ExecutionResumed];

export class Dispatcher {
  readonly log: HostLogEntry[] = [];
  /** Called after every episode and activity; waitFor() listens here. */
  protected readonly listeners = new Set<() => void>();
  #messages = new Map<string, Message>();
  #work = new Map<string, WorkItem>();
  #running = new Map<string, Promise<void>>();
  #suspended = new Set<string>();
  #virtualNow: number;
  #timer: NodeJS.Timeout | undefined;
  #drain: Promise<void> | undefined;
  #again = false;
  #stopping = false;
  #abandoned = false;

  constructor(protected readonly opts: HostOptions) {
    this.#virtualNow = (opts.virtualStart ?? new Date()).getTime();
  }

  now(): Date { return this.opts.clock === "virtual" ? new Date(this.#virtualNow) : new Date(); }

  /** Loads pending messages and work from the store (a restart resumes from here). */
  async load(): Promise<void> {
    const { store } = this.opts;
    await store.init();
    for (const m of await store.loadMessages()) this.#messages.set(m.id, m);
    for (const w of await store.loadWork()) this.#work.set(w.id, w);
    for (const r of await store.listInstances()) if (r.runtimeStatus === "Suspended") this.#suspended.add(r.instanceId);
    this.#kick();
  }

  /** Enqueues a client message (start, event, terminate…) for an instance's next episode. */
  protected async send(instanceId: string, executionId: string | null, ev: HistoryEvent, thenStore?: () => Promise<void>): Promise<void> {
    const m: Message = { id: randomUUID(), instanceId, executionId, event: ev, visibleAt: this.now().toISOString() };
    await this.opts.store.enqueue([m]);
    await thenStore?.(); // before dispatch can see the message
    this.#messages.set(m.id, m);
    this.#kick();
  }

  /** Forgets an instance's pending messages and work (purge). */
  protected forget(instanceId: string): void {
    for (const [k, m] of this.#messages) if (m.instanceId === instanceId) this.#messages.delete(k);
    for (const [k, w] of this.#work) if (w.instanceId === instanceId) this.#work.delete(k);
  }

  protected started(instanceId: string): void { this.#suspended.delete(instanceId); }

  /** Virtual clock: moves time forward, stopping at each due timer to let the work it causes run. */
  async advance(ms: number): Promise<void> {
    if (this.opts.clock !== "virtual") throw new Error("advance() needs the virtual clock");
    const target = this.#virtualNow + ms;
    for (;;) {
      await this.runUntilIdle();
      const next = this.#nextDue();
      if (next === undefined || next > target) break;
      this.#virtualNow = Math.max(this.#virtualNow, next);
    }
    this.#virtualNow = target;
    await this.runUntilIdle();
  }

  /** Resolves when no episode or activity is running and nothing due is waiting. */
  async runUntilIdle(): Promise<void> {
    for (;;) {
      this.#kick();
      while (this.#drain) await this.#drain;
      if (this.#running.size > 0) { await Promise.race(this.#running.values()); continue; }
      if (this.#stopping || !this.#nextBatch()) return;
    }
  }

  /**
   * Stops dispatching. In-flight activities are awaited and their results committed, or with
   * `abandonInFlight` left to run unobserved: their work items stay in the store and run again
   * after a restart (at-least-once, as in DTFx).
   */
  async stop(opts: { abandonInFlight?: boolean } = {}): Promise<void> {
    this.#stopping = true;
    this.#abandoned = opts.abandonInFlight ?? false;
    clearTimeout(this.#timer);
    while (this.#drain) await this.#drain;
    if (!this.#abandoned) await Promise.allSettled(this.#running.values());
    for (const l of [...this.listeners]) l();
  }


  // ---- dispatch ----

  #kick(): void {
    if (this.#stopping) return;
    if (this.#drain) { this.#again = true; return; }
    this.#drain = this.#dispatch().finally(() => { this.#drain = undefined; this.#notify(); });
  }

  #notify(): void { for (const l of [...this.listeners]) l(); }

  #nextDue(): number | undefined {
    let next: number | undefined;
    for (const m of this.#messages.values()) {
      const t = Date.parse(m.visibleAt);
      if (t > this.now().getTime() && (next === undefined || t < next)) next = t;
    }
    return next;
  }

  #nextBatch(): Message[] | undefined {
    const now = this.now().getTime();
    const eligible = (m: Message): boolean => Date.parse(m.visibleAt) <= now &&
      (!this.#suspended.has(m.instanceId) || CONTROL.includes(m.event.EventType));
    const first = [...this.#messages.values()].find(eligible);
    if (!first) return undefined;
    return [...this.#messages.values()].filter((m) => m.instanceId === first.instanceId && eligible(m))
      .sort((a, b) => Date.parse(a.visibleAt) - Date.parse(b.visibleAt));
  }

  async #dispatch(): Promise<void> {
    do {
      this.#again = false;
      for (let batch = this.#nextBatch(); batch && !this.#stopping; batch = this.#nextBatch()) await this.#episode(batch);
      this.#startActivities();
      this.#armTimer();
      // A message that fell due after the last #nextBatch() is not "next due" for the timer
      // either (it is already past): go round again instead of leaving it until the next kick.
      if (this.#nextBatch()) this.#again = true;
    } while (this.#again && !this.#stopping);
  }

  async #episode(batch: Message[]): Promise<void> {
    const { store, app } = this.opts;
    const instanceId = batch[0]?.instanceId ?? "";
    try {
      const record = await store.getInstance(instanceId);
      const past = record ? await store.getHistory(instanceId, record.executionId) : [];
      const commit = await runEpisode({
        app, record, past, messages: batch, now: this.now(), newExecutionId: () => randomUUID().replaceAll("-", ""),
      });
      if (commit) await store.commit(commit);
      else await store.deleteMessages(instanceId, batch.map((m) => m.id)); // stale or for a finished instance
      for (const m of batch) this.#messages.delete(m.id);
      for (const m of commit?.messages ?? []) this.#messages.set(m.id, m);
      for (const w of commit?.work ?? []) this.#work.set(w.id, w);
      if (commit?.instance.runtimeStatus === "Suspended") this.#suspended.add(instanceId);
      else this.#suspended.delete(instanceId);
      const added = commit ? commit.history.events.slice(commit.history.from).map((e) => EventTypeName[e.EventType]) : [];
      this.#record("episode", instanceId, commit ? `${commit.instance.runtimeStatus}: ${added.join(",")}` : "dropped");
    } catch (e) {
      // A host bug or a store failure: drop the batch from memory so we do not spin on it.
      for (const m of batch) this.#messages.delete(m.id);
      this.#record("error", instanceId, e instanceof Error ? e.stack ?? e.message : String(e));
    }
    this.#notify();
  }

  #startActivities(): void {
    const limit = this.opts.activityConcurrency ?? 4;
    for (const w of this.#work.values()) {
      if (this.#stopping || this.#running.size >= limit) return;
      if (this.#running.has(w.id)) continue;
      const p = this.#activity(w).finally(() => { this.#running.delete(w.id); this.#notify(); this.#kick(); });
      this.#running.set(w.id, p);
    }
  }

  async #activity(w: WorkItem): Promise<void> {
    try {
      this.#record("activity", w.instanceId, `start ${w.name}#${w.taskId}`);
      const outcome = await invokeActivity(this.opts.app, w.name, w.input);
      if (this.#abandoned) return;
      const now = this.now();
      const ev = outcome.ok
        ? event(EventType.TaskCompleted, now, { TaskScheduledId: w.taskId, Result: outcome.result })
        : event(EventType.TaskFailed, now, { TaskScheduledId: w.taskId, Reason: outcome.reason, Details: outcome.details });
      const m: Message = { id: `${w.instanceId}|${w.executionId}|done|${w.taskId}`, instanceId: w.instanceId, executionId: w.executionId, event: ev, visibleAt: now.toISOString() };
      await this.opts.store.completeWork(w.id, m);
      this.#work.delete(w.id);
      this.#messages.set(m.id, m);
      this.#record("activity", w.instanceId, `${outcome.ok ? "completed" : "failed"} ${w.name}#${w.taskId}`);
    } catch (e) {
      this.#record("error", w.instanceId, e instanceof Error ? e.stack ?? e.message : String(e));
    }
  }

  #armTimer(): void {
    clearTimeout(this.#timer);
    if (this.opts.clock !== "real" || this.#stopping) return;
    const next = this.#nextDue();
    if (next === undefined) return;
    const delay = Math.min(Math.max(0, next - Date.now()), 2 ** 31 - 1);
    this.#timer = setTimeout(() => this.#kick(), delay);
    this.#timer.unref();
  }

  #record(kind: HostLogEntry["kind"], instanceId: string, detail: string): void {
    this.log.push({ at: this.now().toISOString(), kind, instanceId, detail });
  }
}
