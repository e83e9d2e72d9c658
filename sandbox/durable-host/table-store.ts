// InstanceStore on Azure Tables (Azurite locally): the shape of DTFx's AzureStorage provider,
// simplified — <hub>Instances, <hub>History, plus <hub>Messages and <hub>WorkItems standing in
// for its control and work-item queues. Tables has no cross-partition transactions, so a
// commit writes outputs first and deletes its inputs last: a crash in between makes the episode
// run again with the same inputs, and the deterministic keys make its writes idempotent.
import { TableClient, odata } from "@azure/data-tables";
import type { TableEntityResult, TransactionAction } from "@azure/data-tables";
import { z } from "zod";
import type { HistoryEvent } from "./history.ts";
import type { EpisodeCommit, InstanceRecord, InstanceStore, Message, WorkItem } from "./store.ts";

const EventSchema = z.looseObject({ EventType: z.number(), EventId: z.number(), IsPlayed: z.boolean(), Timestamp: z.string() });
const InstanceSchema = z.object({
  instanceId: z.string(), name: z.string(), executionId: z.string(),
  runtimeStatus: z.enum(["Pending", "Running", "Completed", "ContinuedAsNew", "Failed", "Terminated", "Suspended"]),
  input: z.string().nullable(), output: z.string().nullable(), customStatus: z.string().nullable(),
  createdTime: z.string(), lastUpdatedTime: z.string(),
  parent: z.object({ instanceId: z.string(), executionId: z.string(), name: z.string(), taskScheduledId: z.number() }).nullable(),
});
const MessageSchema = z.object({
  id: z.string(), instanceId: z.string(), executionId: z.string().nullable(), event: EventSchema, visibleAt: z.string(),
});
const WorkSchema = z.object({
  id: z.string(), instanceId: z.string(), executionId: z.string(), taskId: z.number(), name: z.string(), input: z.unknown(),
});

type Row = TableEntityResult<Record<string, unknown>>;

const data = (row: Row): unknown => JSON.parse(String(row.Data)) as unknown;
const isNotFound = (e: unknown): boolean => typeof e === "object" && e !== null && "statusCode" in e && e.statusCode === 404;

export class TableStore implements InstanceStore {
  readonly #instances: TableClient;
  readonly #history: TableClient;
  readonly #messages: TableClient;
  readonly #work: TableClient;

  constructor(connectionString: string, taskHub = "PodidHub") {
    const client = (suffix: string): TableClient =>
      TableClient.fromConnectionString(connectionString, `${taskHub}${suffix}`, { allowInsecureConnection: true });
    this.#instances = client("Instances");
    this.#history = client("History");
    this.#messages = client("Messages");
    this.#work = client("WorkItems");
  }

  async init(): Promise<void> {
    for (const t of [this.#instances, this.#history, this.#messages, this.#work]) await t.createTable();
  }

  async getInstance(id: string): Promise<InstanceRecord | undefined> {
    try {
      return InstanceSchema.parse(data(await this.#instances.getEntity<Record<string, unknown>>(id, "")));
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async listInstances(): Promise<InstanceRecord[]> {
    return (await this.#all(this.#instances)).map((r) => InstanceSchema.parse(data(r)));
  }

  async putInstance(r: InstanceRecord): Promise<void> {
    await this.#instances.upsertEntity({ partitionKey: r.instanceId, rowKey: "", RuntimeStatus: r.runtimeStatus, Data: JSON.stringify(r) }, "Replace");
  }

  async getHistory(id: string, executionId: string): Promise<HistoryEvent[]> {
    const filter = odata`PartitionKey eq ${id} and RowKey ge ${`${executionId}.`} and RowKey lt ${`${executionId}/`}`;
    return (await this.#all(this.#history, filter)).map((r) => EventSchema.parse(data(r)));
  }

  async enqueue(messages: Message[]): Promise<void> {
    for (const m of messages) {
      await this.#messages.upsertEntity({ partitionKey: m.instanceId, rowKey: m.id, VisibleAt: m.visibleAt, Data: JSON.stringify(m) }, "Replace");
    }
  }

  async commit(c: EpisodeCommit): Promise<void> {
    await this.enqueue(c.messages);
    for (const w of c.work) {
      await this.#work.upsertEntity({ partitionKey: w.instanceId, rowKey: w.id, Data: JSON.stringify(w) }, "Replace");
    }
    const rows: TransactionAction[] = c.history.events.slice(c.history.from).map((e, i) => ["upsert", {
      partitionKey: c.instance.instanceId,
      rowKey: `${c.history.executionId}.${String(c.history.from + i).padStart(8, "0")}`,
      EventType: e.EventType,
      Data: JSON.stringify(e),
    }, "Replace"]);
    for (let i = 0; i < rows.length; i += 100) await this.#history.submitTransaction(rows.slice(i, i + 100));
    await this.putInstance(c.instance);
    await this.deleteMessages(c.instance.instanceId, c.consumed);
  }

  async deleteMessages(instanceId: string, ids: string[]): Promise<void> {
    for (const id of ids) await this.#delete(this.#messages, instanceId, id);
  }

  async completeWork(workId: string, result: Message): Promise<void> {
    await this.enqueue([result]);
    await this.#delete(this.#work, result.instanceId, workId);
  }

  async loadMessages(): Promise<Message[]> {
    return (await this.#all(this.#messages)).map((r) => MessageSchema.parse(data(r)));
  }

  async loadWork(): Promise<WorkItem[]> {
    return (await this.#all(this.#work)).map((r) => WorkSchema.parse(data(r)));
  }

  async purge(id: string): Promise<boolean> {
    const existed = (await this.getInstance(id)) !== undefined;
    for (const t of [this.#instances, this.#history, this.#messages, this.#work]) {
      for (const r of await this.#all(t, odata`PartitionKey eq ${id}`)) await this.#delete(t, id, r.rowKey ?? "");
    }
    return existed;
  }

  async #all(t: TableClient, filter?: string): Promise<Row[]> {
    const out: Row[] = [];
    for await (const r of t.listEntities<Record<string, unknown>>(filter ? { queryOptions: { filter } } : {})) out.push(r);
    return out;
  }

  async #delete(t: TableClient, pk: string, rk: string): Promise<void> {
    try { await t.deleteEntity(pk, rk); } catch (e) { if (!isNotFound(e)) throw e; }
  }
}
