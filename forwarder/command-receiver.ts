// Receives mic-commands from this cluster's session and settles each message after handling it.
// Any receiver error (session lock lost, connection dropped, session held by the old leader)
// closes the receiver and accepts the session again after a capped backoff.
import type { Logger } from "pino";
import type { Disposition } from "./command-handler.ts";
import { Backoff, sleep, type BackoffOptions } from "./timing.ts";

export interface ReceivedCommand {
  body: unknown;
  messageId?: unknown;
  deliveryCount?: number;
}

/** The part of ServiceBusSessionReceiver used here. */
export interface CommandSessionReceiver<M extends ReceivedCommand> {
  receiveMessages(max: number, options?: { maxWaitTimeInMs?: number; abortSignal?: AbortSignal }): Promise<M[]>;
  completeMessage(message: M): Promise<void>;
  abandonMessage(message: M): Promise<void>;
  deadLetterMessage(message: M, options: { deadLetterReason: string; deadLetterErrorDescription: string }): Promise<void>;
  close(): Promise<void>;
}

/** The part of ServiceBusClient used here (a ServiceBusClient satisfies it). */
export interface SessionAcceptor<M extends ReceivedCommand> {
  acceptSession(queue: string, sessionId: string, options?: { maxAutoLockRenewalDurationInMs?: number; abortSignal?: AbortSignal }): Promise<CommandSessionReceiver<M>>;
}

export interface CommandReceiverOptions<M extends ReceivedCommand> {
  client: SessionAcceptor<M>;
  queue: string;
  cluster: string;
  handle: (body: unknown) => Promise<Disposition>;
  receiveWaitMs: number;
  retry: BackoffOptions;
  logger: Logger;
  onSettled?: (disposition: Disposition) => void;
  /** Each failed attempt to accept / read the session (it is retried with backoff). */
  onReceiverError?: (error: unknown) => void;
}

/** Session locks are renewed by the SDK for this long; a lock lost after it reconnects. */
const SESSION_RENEWAL_MS = 2 ** 31 - 1;
const MAX_ABANDON_DELAY_MS = 10_000;

export class CommandReceiver<M extends ReceivedCommand> {
  private readonly abort = new AbortController();
  private readonly backoff: Backoff;
  private loop: Promise<void> | undefined;
  private receiver: CommandSessionReceiver<M> | undefined;
  private connected = false;
  private busy = false;

  constructor(private readonly o: CommandReceiverOptions<M>) {
    this.backoff = new Backoff({ jitter: 0.2, ...o.retry });
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Finishes the command in hand, closes the receiver (unsettled messages are released). */
  async stop(): Promise<void> {
    this.abort.abort();
    // Closing ends a pending receive at once; a command being applied is settled first.
    if (!this.busy) await this.receiver?.close().catch(() => undefined);
    await this.loop;
  }

  /** Whether the session is currently held. */
  get sessionHeld(): boolean {
    return this.connected;
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        this.receiver = await this.o.client.acceptSession(this.o.queue, this.o.cluster, {
          maxAutoLockRenewalDurationInMs: SESSION_RENEWAL_MS,
          abortSignal: this.abort.signal,
        });
        this.connected = true;
        this.o.logger.info({ queue: this.o.queue, session: this.o.cluster }, "command session accepted");
        while (!this.stopped) {
          // One at a time: commands carry no version of their own, so their order is the
          // session's order. From a batch, an abandoned command would come back after the ones
          // behind it (an apply that failed briefly could then undo a later delete).
          const messages = await this.receiver.receiveMessages(1, { maxWaitTimeInMs: this.o.receiveWaitMs });
          this.backoff.reset();
          for (const message of messages) {
            if (this.stopped) break; // unsettled messages return to the queue when the receiver closes
            this.busy = true;
            try {
              await this.process(this.receiver, message);
            } finally {
              this.busy = false;
            }
          }
        }
      } catch (error) {
        if (this.stopped) break;
        const delay = this.backoff.next();
        this.o.onReceiverError?.(error);
        this.o.logger.warn({ err: error, retryInMs: delay }, "command receiver failed; accepting the session again");
        await sleep(delay, this.abort.signal);
      } finally {
        this.connected = false;
        const r = this.receiver;
        this.receiver = undefined;
        await r?.close().catch(() => undefined);
      }
    }
  }

  private async process(receiver: CommandSessionReceiver<M>, message: M): Promise<void> {
    const disposition = await this.o.handle(message.body);
    const log = this.o.logger.child({ messageId: message.messageId, op: disposition.op, deliveryCount: message.deliveryCount });
    switch (disposition.action) {
      case "complete":
        await receiver.completeMessage(message);
        log.info({ name: disposition.name, steps: disposition.result.steps, conflicts: disposition.result.conflicts }, "command applied");
        break;
      case "deadLetter":
        await receiver.deadLetterMessage(message, { deadLetterReason: disposition.reason, deadLetterErrorDescription: disposition.description.slice(0, 1000) });
        log.warn({ reason: disposition.reason, description: disposition.description }, "command dead-lettered");
        break;
      case "abandon": {
        // A short pause before redelivery so a flapping API server is not hammered.
        const delay = Math.min(MAX_ABANDON_DELAY_MS, this.o.retry.initialMs * 2 ** Math.min(message.deliveryCount ?? 0, 10));
        log.warn({ code: disposition.code, description: disposition.description, abandonInMs: delay }, "command failed; abandoning for redelivery");
        await sleep(delay, this.abort.signal);
        await receiver.abandonMessage(message);
        break;
      }
    }
    this.o.onSettled?.(disposition);
  }
}
