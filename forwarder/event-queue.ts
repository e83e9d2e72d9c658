// Bounded, coalescing queue of object events waiting to be sent.
//
// A message means "reconcile from this state", so only the latest state of an object matters:
// a newer event for a queued object replaces it in place (keeping its position). The queue is
// bounded by the number of distinct objects. When a *new* object would exceed the bound, the
// queue drops everything and reports an overflow: the caller then sends a snapshot instead,
// which carries the current state of every object (level-triggered repair) in a few messages.
// Entries stay queued while being sent; `ack` removes only the versions that were sent, so a
// failed send loses nothing and a change that raced with a send is sent again.
import type { ObjectEvent } from "../core/index.ts";

export interface QueuedEvent {
  readonly key: string;
  readonly event: ObjectEvent;
  /** Increases with every push; lets `ack` tell a sent version from a newer one. */
  readonly seq: number;
}

export type PushResult = "queued" | "coalesced" | "overflow";

export class CoalescingEventQueue {
  private readonly entries = new Map<string, QueuedEvent>();
  private seq = 0;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly maxSize: number) {
    if (!Number.isInteger(maxSize) || maxSize < 1) throw new RangeError("maxSize must be a positive integer");
  }

  push(key: string, event: ObjectEvent): PushResult {
    this.seq += 1;
    const existing = this.entries.has(key);
    if (!existing && this.entries.size >= this.maxSize) {
      this.entries.clear();
      this.notify();
      return "overflow";
    }
    this.entries.set(key, { key, event, seq: this.seq });
    this.notify();
    return existing ? "coalesced" : "queued";
  }

  /** The oldest `max` entries, left in the queue until acknowledged. */
  peek(max: number): QueuedEvent[] {
    const out: QueuedEvent[] = [];
    for (const entry of this.entries.values()) {
      if (out.length >= max) break;
      out.push(entry);
    }
    return out;
  }

  /** Removes the given entries unless a newer version of the same object was pushed since. */
  ack(sent: readonly QueuedEvent[]): void {
    for (const entry of sent) {
      if (this.entries.get(entry.key)?.seq === entry.seq) this.entries.delete(entry.key);
    }
    this.notify();
  }

  /** Drops everything (a snapshot about to be sent supersedes it); returns how many were dropped. */
  clear(): number {
    const n = this.entries.size;
    this.entries.clear();
    this.notify();
    return n;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Called after every change; used to wake the sender and update the depth gauge. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }
}
