// Sends the MIC's results as `mic-commands` messages (DESIGN §4.2): one message per
// AzureAssignedIdentity command, `sessionId = cluster`, `messageId` from core's
// commandMessageId (identical resends are dropped by duplicate detection), packed into as few
// batches as the queue's size limit allows. Every command is validated before it leaves.
import type { ServiceBusClient, ServiceBusMessage, ServiceBusMessageBatch, ServiceBusSender } from "@azure/service-bus";
import { COMMANDS_QUEUE, MicCommandSchema, commandMessageId } from "../../core/messages/index.ts";
import type { MicCommand } from "../../core/messages/index.ts";
import { serviceBusClientFromSetting } from "./connection.ts";
import type { ClientFromSettingOptions } from "./connection.ts";

/** What the MIC hands over: the commands of one reconcile step and its epoch. */
export interface PublishRequest {
  commands: readonly MicCommand[];
  /** Distinguishes a later re-apply of identical content (e.g. the host generation). */
  epoch: string | number;
}

export interface PublishResult {
  sent: number;
  batches: number;
}

export interface ServiceBusResultsPublisher {
  publish(request: PublishRequest): Promise<PublishResult>;
  /** Closes the sender, and the client when the publisher created it. */
  close(): Promise<void>;
}

export class CommandTooLargeError extends Error {
  readonly code = "PODID_MIC_COMMAND_TOO_LARGE";
  constructor(readonly messageId: string) {
    super(`mic-commands message ${messageId} exceeds the queue's maximum message size`);
    this.name = "CommandTooLargeError";
  }
}

export function commandMessage(command: MicCommand, epoch: string | number): ServiceBusMessage {
  const valid = MicCommandSchema.parse(command);
  return {
    body: valid,
    messageId: commandMessageId(valid, epoch),
    sessionId: valid.cluster,
    contentType: "application/json",
    subject: `AzureAssignedIdentity/${valid.op}`,
  };
}

/** Groups by session: one batch never mixes clusters (a batch is one broker transaction). */
function bySession(messages: ServiceBusMessage[]): ServiceBusMessage[][] {
  const groups = new Map<string, ServiceBusMessage[]>();
  for (const m of messages) {
    const key = m.sessionId ?? "";
    const g = groups.get(key) ?? [];
    g.push(m);
    groups.set(key, g);
  }
  return [...groups.values()];
}

/** Sends `messages` in size-limited batches; returns how many batches were sent. */
export async function sendBatched(sender: Pick<ServiceBusSender, "createMessageBatch" | "sendMessages">, messages: ServiceBusMessage[]): Promise<number> {
  let batches = 0;
  for (const group of bySession(messages)) {
    let batch: ServiceBusMessageBatch = await sender.createMessageBatch();
    for (const m of group) {
      if (batch.tryAddMessage(m)) continue;
      if (batch.count === 0) throw new CommandTooLargeError(String(m.messageId));
      await sender.sendMessages(batch);
      batches++;
      batch = await sender.createMessageBatch();
      if (!batch.tryAddMessage(m)) throw new CommandTooLargeError(String(m.messageId));
    }
    if (batch.count > 0) {
      await sender.sendMessages(batch);
      batches++;
    }
  }
  return batches;
}

export interface ResultsPublisherOptions {
  /** Use this client (not closed by the publisher)… */
  client?: ServiceBusClient;
  /** …or create one from the connection setting of this name (e.g. "ServiceBusConnection"). */
  connection?: string;
  settings?: Readonly<Record<string, string | undefined>>;
  clientOptions?: ClientFromSettingOptions;
  queue?: string;
}

export function createServiceBusResultsPublisher(opts: ResultsPublisherOptions): ServiceBusResultsPublisher {
  const owned = opts.client === undefined;
  const client = opts.client ?? serviceBusClientFromSetting(opts.connection, opts.settings ?? process.env, opts.clientOptions);
  let sender: ServiceBusSender | undefined;
  return {
    async publish({ commands, epoch }) {
      if (commands.length === 0) return { sent: 0, batches: 0 };
      const messages = commands.map((c) => commandMessage(c, epoch));
      sender ??= client.createSender(opts.queue ?? COMMANDS_QUEUE);
      const batches = await sendBatched(sender, messages);
      return { sent: messages.length, batches };
    },
    async close() {
      await sender?.close();
      if (owned) await client.close();
    },
  };
}
