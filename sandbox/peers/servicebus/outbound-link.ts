// A client's receiver link: hands queue messages out within the link credit, answers drains,
// and turns the client's dispositions into settlements (echoing the outcome, which the SDK
// waits for before resolving complete/abandon/defer/deadLetter).
import { randomUUID } from "node:crypto";
import type { Delivery, Sender } from "rhea";
import {
  acceptedOutcome, asRecord, asString, creditOf, lockTokenToTag, rejectedOutcome, sendMessage, tagToLockToken,
} from "./amqp-util.ts";
import type { Disposition, DispositionArgs, Queue, ReceiveMode } from "./queue.ts";
import type { SessionOwner } from "./sessions.ts";
import { toWire } from "./stored-message.ts";
import { type AmqpFailure, Cond, type PeerLogger } from "./types.ts";

export class OutboundLink implements SessionOwner {
  readonly id = randomUUID();
  private unsubscribe: (() => void) | undefined;
  private closed = false;
  private pumping = false;
  /** Deliveries queued this tick: rhea lowers `credit` only when it writes the transfer. */
  private queuedThisTick = 0;
  private draining = false;
  /** Set once the session filter has been resolved to a locked session. */
  sessionId: string | undefined;

  constructor(
    private readonly sender: Sender,
    private readonly queue: Queue,
    private readonly mode: ReceiveMode,
    private readonly logger: PeerLogger | undefined,
  ) {}

  start(): void {
    this.unsubscribe = this.queue.subscribe(() => this.pump());
    this.pump();
  }

  /**
   * Any flow. rhea raises sender_draining right after sender_flow when the flow drains, so the
   * pump waits a turn: a draining flow is answered by onDraining() before anything is sent.
   */
  onFlow(): void {
    this.draining = false;
    setImmediate(() => this.pump());
  }

  /**
   * The SDK drains the credit it did not use; answering at once (instead of trying to fill it)
   * avoids racing a late message against the drain, which the SDK would time out on.
   */
  onDraining(): void {
    this.draining = true;
    this.sender.set_drained(true);
  }

  pump(): void {
    if (this.closed || this.pumping || this.draining) return;
    this.pumping = true;
    try {
      while (this.sender.is_open() && creditOf(this.sender) - this.queuedThisTick > 0) {
        const taken = this.queue.take(this.sessionId, this.mode);
        if (!taken) break;
        const wire = toWire(taken.message, taken.lockedUntil);
        const tag = taken.token === undefined ? Buffer.from(String(taken.message.seq)) : lockTokenToTag(taken.token);
        sendMessage(this.sender, wire, tag);
        if (this.queuedThisTick++ === 0) setImmediate(() => { this.queuedThisTick = 0; });
        this.logger?.debug({ queue: this.queue.name, seq: taken.message.seq, link: this.id }, "servicebus peer delivered");
      }
    } finally {
      this.pumping = false;
    }
  }

  /** A disposition from the client: settle in the queue, then settle the delivery with the outcome. */
  onDisposition(delivery: Delivery, kind: "accepted" | "rejected" | "modified" | "released"): void {
    const token = tagToLockToken(delivery.tag);
    const state = asRecord(delivery.remote_state);
    let disposition: Disposition = "abandon";
    const args: DispositionArgs = {};
    if (kind === "accepted") disposition = "complete";
    else if (kind === "modified") {
      disposition = state.undeliverable_here === true ? "defer" : "abandon";
      args.propertiesToModify = asRecord(state.message_annotations);
    } else if (kind === "rejected") {
      const error = asRecord(state.error);
      const info = asRecord(error.info);
      disposition = "deadletter";
      args.reason = asString(info.DeadLetterReason) ?? asString(error.condition);
      args.description = asString(info.DeadLetterErrorDescription) ?? asString(error.description);
      const { DeadLetterReason: _r, DeadLetterErrorDescription: _d, ...rest } = info;
      args.propertiesToModify = rest;
    }
    let err: AmqpFailure | undefined;
    if (token === undefined) err = { condition: Cond.lockLost, description: "Unknown lock token." };
    else if (this.sessionId !== undefined && this.queue.sessions.ownerOf(this.sessionId)?.id !== this.id) {
      err = { condition: Cond.sessionLockLost, description: `The session lock has expired on the session with id ${this.sessionId}.` };
    } else err = this.queue.settle(token, disposition, args);
    this.logger?.debug({ queue: this.queue.name, link: this.id, disposition, error: err?.condition }, "servicebus peer settled");
    delivery.update(true, err ? rejectedOutcome(err) : acceptedOutcome());
  }

  /** The broker lost this receiver's session lock: detach it the way the broker does. */
  sessionLost(sessionId: string): void {
    if (this.closed) return;
    this.stop();
    this.sender.close({ condition: Cond.sessionLockLost, description: `The session lock has expired on the session with id ${sessionId}.` });
  }

  /** Link or connection gone: stop delivering and give the session back. */
  stop(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    if (this.sessionId !== undefined) this.queue.sessions.release(this.sessionId, this);
  }
}
