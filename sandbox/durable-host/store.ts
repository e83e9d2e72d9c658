// Persistence contract of the durable host: what DTFx keeps in its Instances and History tables
// plus its queues (orchestrator inbox messages, timers as delayed messages, activity work items).
// Keys are deterministic so that re-running an interrupted episode rewrites the same rows
// instead of adding new ones.
import type { HistoryEvent, ParentInfo } from "./history.ts";

export type RuntimeStatus = "Pending" | "Running" | "Completed" | "ContinuedAsNew" | "Failed" | "Terminated" | "Suspended";

export const TERMINAL: readonly RuntimeStatus[] = ["Completed", "Failed", "Terminated"];

export interface InstanceRecord {
  instanceId: string;
  name: string;
  executionId: string;
  runtimeStatus: RuntimeStatus;
  /** JSON text, as DTFx stores it. */
  input: string | null;
  output: string | null;
  customStatus: string | null;
  createdTime: string;
  lastUpdatedTime: string;
  parent: ParentInfo | null;
}

/** An event waiting for its orchestration's next episode (a DTFx control-queue message). */
export interface Message {
  id: string;
  instanceId: string;
  /** Execution it belongs to; null = whatever execution is current (client events). */
  executionId: string | null;
  event: HistoryEvent;
  /** ISO time from which it may be processed (timers are delayed messages, as in DTFx). */
  visibleAt: string;
}

/** A scheduled activity (a DTFx work-item message). */
export interface WorkItem {
  id: string;
  instanceId: string;
  executionId: string;
  taskId: number;
  name: string;
  /** The action's input as the SDK sent it (a JSON value; undefined = none). */
  input: unknown;
}

/** Everything one episode changes, written as one unit (atomically in memory; in order on Tables). */
export interface EpisodeCommit {
  instance: InstanceRecord;
  /** The whole history of the instance's current execution; rows from index `from` on are new. */
  history: { executionId: string; from: number; events: HistoryEvent[] };
  consumed: string[];
  messages: Message[];
  work: WorkItem[];
}

export interface InstanceStore {
  init(): Promise<void>;
  getInstance(instanceId: string): Promise<InstanceRecord | undefined>;
  listInstances(): Promise<InstanceRecord[]>;
  putInstance(record: InstanceRecord): Promise<void>;
  getHistory(instanceId: string, executionId: string): Promise<HistoryEvent[]>;
  enqueue(messages: Message[]): Promise<void>;
  /** Order on non-transactional stores: messages and work, history, instance, then deletes. */
  commit(commit: EpisodeCommit): Promise<void>;
  deleteMessages(instanceId: string, ids: string[]): Promise<void>;
  /** An activity finished: enqueue its result, then delete the work item. */
  completeWork(workId: string, result: Message): Promise<void>;
  loadMessages(): Promise<Message[]>;
  loadWork(): Promise<WorkItem[]>;
  /** Deletes the instance, its history and its pending messages and work. */
  purge(instanceId: string): Promise<boolean>;
}

const clone = <T>(v: T): T => structuredClone(v);

/** In-memory store: everything lost with the process; copies on the way in and out like a real store. */
export class MemoryStore implements InstanceStore {
  #instances = new Map<string, InstanceRecord>();
  #history = new Map<string, { executionId: string; events: HistoryEvent[] }>();
  #messages = new Map<string, Message>();
  #work = new Map<string, WorkItem>();

  async init(): Promise<void> {}
  async getInstance(id: string): Promise<InstanceRecord | undefined> { const r = this.#instances.get(id); return r && clone(r); }
  async listInstances(): Promise<InstanceRecord[]> { return [...this.#instances.values()].map(clone); }
  async putInstance(r: InstanceRecord): Promise<void> { this.#instances.set(r.instanceId, clone(r)); }

  async getHistory(id: string, executionId: string): Promise<HistoryEvent[]> {
    const h = this.#history.get(id);
    return h && h.executionId === executionId ? clone(h.events) : [];
  }

  async enqueue(messages: Message[]): Promise<void> { for (const m of messages) this.#messages.set(m.id, clone(m)); }

  async commit(c: EpisodeCommit): Promise<void> {
    await this.enqueue(c.messages);
    for (const w of c.work) this.#work.set(w.id, clone(w));
    this.#history.set(c.instance.instanceId, { executionId: c.history.executionId, events: clone(c.history.events) });
    this.#instances.set(c.instance.instanceId, clone(c.instance));
    for (const id of c.consumed) this.#messages.delete(id);
  }

  async deleteMessages(_instanceId: string, ids: string[]): Promise<void> { for (const id of ids) this.#messages.delete(id); }

  async completeWork(workId: string, result: Message): Promise<void> {
    this.#messages.set(result.id, clone(result));
    this.#work.delete(workId);
  }

  async loadMessages(): Promise<Message[]> { return [...this.#messages.values()].map(clone); }
  async loadWork(): Promise<WorkItem[]> { return [...this.#work.values()].map(clone); }

  async purge(id: string): Promise<boolean> {
    const existed = this.#instances.delete(id);
    this.#history.delete(id);
    for (const [k, m] of this.#messages) if (m.instanceId === id) this.#messages.delete(k);
    for (const [k, w] of this.#work) if (w.instanceId === id) this.#work.delete(k);
    return existed;
  }
}
