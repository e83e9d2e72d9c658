// The results port: how reconcileHost hands AzureAssignedIdentity commands to the cluster.
// Production sends them to Service Bus `mic-commands` (functions/servicebus/results-publisher.ts:
// messageId = commandMessageId(command, epoch), sessionId = cluster). The recording publisher
// keeps them in memory with the same ids and duplicate detection, for tests and benchmarks.
import { MicCommandSchema, commandMessageId } from "../../../core/index.ts";
import type { MicCommand } from "../../../core/index.ts";
import type { PublishRequest, PublishResult } from "../../servicebus/results-publisher.ts";

export type { PublishRequest, PublishResult };

export interface ResultsPublisher {
  publish(request: PublishRequest): Promise<PublishResult>;
}

export interface RecordedCommand {
  messageId: string;
  sessionId: string;
  command: MicCommand;
}

export class RecordingPublisher implements ResultsPublisher {
  /** Every accepted command in order (duplicates by messageId dropped, like the queue). */
  readonly sent: RecordedCommand[] = [];
  /** Messages whose messageId was seen before (what duplicate detection would drop). */
  duplicates = 0;
  #ids = new Set<string>();
  #listeners = new Set<() => void>();
  /** Set to make the next publish calls fail (transient-failure tests). */
  failNext = 0;

  publish({ commands, epoch }: PublishRequest): Promise<PublishResult> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      return Promise.reject(new Error("recording publisher: scripted failure"));
    }
    let sent = 0;
    for (const c of commands) {
      const command = MicCommandSchema.parse(c);
      const messageId = commandMessageId(command, epoch);
      if (this.#ids.has(messageId)) { this.duplicates += 1; continue; }
      this.#ids.add(messageId);
      this.sent.push({ messageId, sessionId: command.cluster, command });
      sent += 1;
    }
    for (const l of [...this.#listeners]) l();
    return Promise.resolve({ sent, batches: sent > 0 ? 1 : 0 });
  }

  /** The latest command per AzureAssignedIdentity (`namespace/name`), as the forwarder would leave it. */
  latest(): Map<string, MicCommand> {
    const out = new Map<string, MicCommand>();
    for (const { command } of this.sent) {
      const m = command.assignedIdentity.metadata;
      out.set(`${m.namespace ?? "default"}/${m.name}`, command);
    }
    return out;
  }

  /** Status of each live AzureAssignedIdentity (deleted ones are absent). */
  statuses(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [key, c] of this.latest()) if (c.op === "apply") out.set(key, c.assignedIdentity.status?.status ?? "");
    return out;
  }

  /** Calls `fn` after every publish (tests wait on it). */
  onPublish(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }
}
