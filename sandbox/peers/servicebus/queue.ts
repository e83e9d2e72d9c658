// One queue (or its dead-letter sub-queue): FIFO store, scheduling, duplicate detection,
// peek-locks with expiry, settlement, max-delivery-count and TTL dead-lettering, sessions.
import { randomUUID } from "node:crypto";
import { asString } from "./amqp-util.ts";
import { type AmqpMessage, annotationsOf } from "./codec.ts";
import { type SessionOwner, SessionTable } from "./sessions.ts";
import { type StoredMessage, deadLettered } from "./stored-message.ts";
import { type AmqpFailure, Cond, fail, type ResolvedQueueOptions } from "./types.ts";

export type Disposition = "complete" | "abandon" | "defer" | "deadletter";

export interface DispositionArgs {
  reason?: string | undefined;
  description?: string | undefined;
  propertiesToModify?: Record<string, unknown> | undefined;
}

/** A message handed to a receiver; `token` is undefined in receiveAndDelete mode. */
export interface Taken {
  message: StoredMessage;
  token: string | undefined;
  lockedUntil: number | undefined;
}

export type ReceiveMode = "peekLock" | "receiveAndDelete";

export const DLQ_SUFFIX = "/$DeadLetterQueue";

export class Queue {
  readonly sessions: SessionTable;
  readonly deadLetterQueue: Queue | undefined;
  private readonly store = new Map<number, StoredMessage>();
  private readonly locks = new Map<string, StoredMessage>();
  private readonly seen = new Map<string, { at: number; seq: number }>();
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly name: string,
    readonly opts: ResolvedQueueOptions,
    private readonly seq: { next: number },
    isDeadLetter = false,
  ) {
    this.sessions = new SessionTable(opts.lockDurationMs, (id) => this.sessionUnlocked(id));
    this.deadLetterQueue = isDeadLetter ? undefined : new Queue(name + DLQ_SUFFIX, {
      ...opts, requiresSession: false, maxDeliveryCount: Number.POSITIVE_INFINITY,
      duplicateDetectionWindowMs: undefined, defaultMessageTtlMs: undefined,
    }, seq, true);
  }

  /** Receivers re-check for work when messages become available. */
  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private notify(): void {
    for (const fn of [...this.listeners]) fn();
  }

  /** Stores messages (all or none). Returns sequence numbers; duplicates are dropped silently. */
  enqueue(list: AmqpMessage[]): number[] | AmqpFailure {
    if (this.opts.requiresSession && list.some((m) => asString(m.group_id) === undefined)) {
      return fail(Cond.notAllowed, `The SessionId was not set on a message, and it cannot be sent to the entity '${this.name}'. Entities that have session support enabled can only receive messages that have the SessionId set to a valid value.`);
    }
    const seqs = list.map((m) => this.insert(m));
    this.notify();
    return seqs;
  }

  private insert(amqp: AmqpMessage): number {
    const now = Date.now();
    const raw = amqp.message_id;
    const messageId = typeof raw === "string" ? raw : typeof raw === "number" ? String(raw)
      : randomUUID().replace(/-/g, "");
    const window = this.opts.duplicateDetectionWindowMs;
    if (window !== undefined) {
      for (const [id, s] of this.seen) { if (now - s.at <= window) break; this.seen.delete(id); }
      const dup = this.seen.get(messageId);
      if (dup) return dup.seq;
    }
    const seq = this.seq.next++;
    if (window !== undefined) this.seen.set(messageId, { at: now, seq });
    const at = annotationsOf(amqp)["x-opt-scheduled-enqueue-time"];
    const scheduledFor = at instanceof Date && at.getTime() > now ? at.getTime() : undefined;
    const m: StoredMessage = {
      seq, messageId, sessionId: asString(amqp.group_id), enqueuedAt: now, expiresAt: undefined,
      amqp: { ...amqp, message_id: messageId }, deliveryCount: 0,
      state: scheduledFor === undefined ? "active" : "scheduled", lock: undefined,
      scheduledFor, scheduleTimer: undefined,
    };
    if (scheduledFor === undefined) this.setExpiry(m);
    else {
      m.scheduleTimer = setTimeout(() => this.activate(m), scheduledFor - now);
      m.scheduleTimer.unref();
    }
    this.store.set(seq, m);
    return seq;
  }

  private setExpiry(m: StoredMessage): void {
    const ttl = typeof m.amqp.ttl === "number" ? m.amqp.ttl : this.opts.defaultMessageTtlMs;
    m.expiresAt = ttl === undefined ? undefined : m.enqueuedAt + ttl;
  }

  private activate(m: StoredMessage): void {
    m.scheduleTimer = undefined;
    m.state = "active";
    m.enqueuedAt = Date.now();
    this.setExpiry(m);
    this.notify();
  }

  cancelScheduled(seqs: number[]): void {
    for (const seq of seqs) {
      const m = this.store.get(seq);
      if (m?.state !== "scheduled") continue;
      clearTimeout(m.scheduleTimer);
      this.store.delete(seq);
    }
  }

  /** Expired messages leave lazily, when a receiver would otherwise get them (as the broker does). */
  private expireIfDue(m: StoredMessage): boolean {
    if (m.expiresAt === undefined || m.expiresAt > Date.now()) return false;
    if (this.opts.deadLetteringOnMessageExpiration) {
      this.moveToDeadLetter(m, "TTLExpiredException", "The message expired and was dead lettered.", {});
    } else this.store.delete(m.seq);
    return true;
  }

  /** Next deliverable message in sequence order; sessionful queues need the receiver's session. */
  take(sessionId: string | undefined, mode: ReceiveMode): Taken | undefined {
    for (const m of this.store.values()) {
      if (m.state !== "active" || m.lock) continue;
      if (this.opts.requiresSession && m.sessionId !== sessionId) continue;
      if (this.expireIfDue(m)) continue;
      return this.hand(m, mode);
    }
    return undefined;
  }

  private hand(m: StoredMessage, mode: ReceiveMode): Taken {
    m.deliveryCount++;
    if (mode === "receiveAndDelete") {
      this.store.delete(m.seq);
      return { message: m, token: undefined, lockedUntil: undefined };
    }
    const token = randomUUID();
    const sessionUntil = m.sessionId !== undefined && this.opts.requiresSession
      ? this.sessions.lockedUntil(m.sessionId) : undefined;
    m.lock = { token, timer: undefined, until: sessionUntil ?? 0 };
    this.locks.set(token, m);
    if (sessionUntil === undefined) this.armLock(m);
    return { message: m, token, lockedUntil: m.lock.until };
  }

  private armLock(m: StoredMessage): void {
    const lock = m.lock;
    if (!lock) return;
    clearTimeout(lock.timer);
    lock.until = Date.now() + this.opts.lockDurationMs;
    lock.timer = setTimeout(() => this.lockExpired(lock.token), this.opts.lockDurationMs);
    lock.timer.unref();
  }

  private lockExpired(token: string): void {
    const m = this.locks.get(token);
    if (!m) return;
    this.unlock(m);
    this.failedDelivery(m);
    this.notify();
  }

  private unlock(m: StoredMessage): void {
    if (!m.lock) return;
    clearTimeout(m.lock.timer);
    this.locks.delete(m.lock.token);
    m.lock = undefined;
  }

  /** Abandon or lost lock: dead-letter once the delivery budget is spent. */
  private failedDelivery(m: StoredMessage): void {
    if (m.deliveryCount >= this.opts.maxDeliveryCount) {
      this.moveToDeadLetter(m, "MaxDeliveryCountExceeded",
        `Message could not be consumed after ${this.opts.maxDeliveryCount} delivery attempts.`, {});
    }
  }

  private lockLost(): AmqpFailure {
    return this.opts.requiresSession
      ? fail(Cond.sessionLockLost, "The session lock has expired on the MessageSession. Accept a new MessageSession.")
      : fail(Cond.lockLost, "The lock supplied is invalid. Either the lock expired, or the message has already been removed from the queue.");
  }

  isLocked(token: string): boolean {
    return this.locks.has(token);
  }

  settle(token: string, disposition: Disposition, args: DispositionArgs = {}): AmqpFailure | undefined {
    const m = this.locks.get(token);
    if (!m) return this.lockLost();
    this.unlock(m);
    const props = args.propertiesToModify ?? {};
    if (disposition !== "deadletter" && Object.keys(props).length > 0) {
      m.amqp = { ...m.amqp, application_properties: { ...(m.amqp.application_properties as object), ...props } };
    }
    if (disposition === "complete") this.store.delete(m.seq);
    else if (disposition === "defer") m.state = "deferred";
    else if (disposition === "abandon") this.failedDelivery(m);
    else this.moveToDeadLetter(m, args.reason, args.description, props);
    this.notify();
    return undefined;
  }

  renewLock(token: string): number | AmqpFailure {
    const m = this.locks.get(token);
    if (!m?.lock) return this.lockLost();
    if (m.sessionId !== undefined && this.opts.requiresSession) {
      return this.sessions.lockedUntil(m.sessionId) ?? this.lockLost();
    }
    this.armLock(m);
    return m.lock.until;
  }

  private moveToDeadLetter(
    m: StoredMessage, reason: string | undefined, description: string | undefined,
    props: Record<string, unknown>,
  ): void {
    this.unlock(m);
    this.store.delete(m.seq);
    const dlq = this.deadLetterQueue;
    if (!dlq) return;
    dlq.store.set(m.seq, deadLettered(m, this.name, reason, description, props));
    dlq.notify();
  }

  /** Deferred messages by sequence number (the $management receive-by-sequence-number). */
  receiveDeferred(seqs: number[], mode: ReceiveMode, sessionId: string | undefined): Taken[] | AmqpFailure {
    const found: StoredMessage[] = [];
    for (const seq of seqs) {
      const m = this.store.get(seq);
      if (m?.state !== "deferred" || m.lock || (sessionId !== undefined && m.sessionId !== sessionId)) {
        return fail(Cond.messageNotFound, `Failed to lock one or more specified messages. Either the message is not deferred or is locked (sequence number ${seq}).`);
      }
      found.push(m);
    }
    return found.map((m) => this.hand(m, mode));
  }

  /** Messages from a sequence number on, in order, without locking (active, deferred, scheduled). */
  peek(fromSeq: number, count: number, sessionId: string | undefined): StoredMessage[] {
    return [...this.store.values()]
      .filter((m) => m.seq >= fromSeq && (sessionId === undefined || m.sessionId === sessionId))
      .sort((a, b) => a.seq - b.seq)
      .slice(0, count);
  }

  /** Locks `requested`, or the session of the oldest available message when undefined. */
  acceptSession(requested: string | undefined, owner: SessionOwner): { sessionId: string; lockedUntil: number } | AmqpFailure {
    let id = requested;
    if (id === undefined) {
      for (const m of this.store.values()) {
        if (m.state !== "active" || m.lock || m.sessionId === undefined) continue;
        if (this.sessions.isLocked(m.sessionId) || this.expireIfDue(m)) continue;
        id = m.sessionId;
        break;
      }
      if (id === undefined) return fail(Cond.timeout, "The operation did not complete: no unlocked session with messages is available.");
    }
    const until = this.sessions.lock(id, owner);
    if (until === undefined) {
      return fail(Cond.sessionCannotBeLocked, `The requested session '${id}' cannot be accepted. It may be locked by another receiver.`);
    }
    return { sessionId: id, lockedUntil: until };
  }

  /** Session lock ended: its unsettled messages return (counted as failed deliveries). */
  private sessionUnlocked(sessionId: string): void {
    for (const m of [...this.locks.values()]) {
      if (m.sessionId !== sessionId) continue;
      this.unlock(m);
      this.failedDelivery(m);
    }
    this.notify();
  }

  all(): StoredMessage[] {
    return [...this.store.values()];
  }

  close(): void {
    for (const m of this.store.values()) {
      clearTimeout(m.scheduleTimer);
      clearTimeout(m.lock?.timer);
    }
    this.sessions.close();
    this.listeners.clear();
    this.deadLetterQueue?.close();
  }
}
