// Long-running operations. Completion is evaluated lazily whenever the host or the operation
// is looked at (no timers to leak); a test can also hold operations and release them by hand.
import { randomUUID } from "node:crypto";
import { PREEMPTED } from "./errors.ts";
import { keyOf } from "./resource-ids.ts";
import type { ArmRegistry } from "./registry.ts";
import type { ArmErrorDetail, Host, IdentityState, Operation } from "./types.ts";

export class Operations {
  readonly all = new Map<string, Operation>();
  /** `undefined` holds every new operation until `release()`. */
  durationMs: number | undefined = 200;
  private failures: Array<{ error: ArmErrorDetail; times: number }> = [];

  constructor(private readonly registry: ArmRegistry) {}

  /** The next `times` operations end `Failed` with `error` (their changes are not applied). */
  scriptFailure(error: ArmErrorDetail, times = 1): void {
    this.failures.push({ error, times });
  }

  start(host: Host, target: IdentityState, targetTags: Record<string, string>): Operation {
    const failure = this.failures[0];
    if (failure && --failure.times <= 0) this.failures.shift();
    const op: Operation = {
      id: randomUUID(),
      hostKey: keyOf(host.id),
      location: host.location,
      subscriptionId: host.subscriptionId,
      startTime: Date.now(),
      durationMs: this.durationMs,
      target,
      targetTags,
      status: "InProgress",
      ...(failure ? { failWith: failure.error } : {}),
    };
    host.pending = op;
    this.all.set(keyOf(op.id), op);
    return op;
  }

  settle(host: Host): void {
    const op = host.pending;
    if (op?.durationMs !== undefined && Date.now() >= op.startTime + op.durationMs) this.finish(host, op);
  }

  /** Ends the host's in-flight operation as superseded (its changes are dropped). */
  cancel(host: Host, error: ArmErrorDetail = PREEMPTED): void {
    const op = host.pending;
    if (!op) return;
    host.pending = undefined;
    Object.assign(op, { status: "Canceled", endTime: Date.now(), error });
  }

  /** Completes held (or still running) operations now, for every host or one. */
  release(hostId?: string): void {
    for (const host of this.registry.hosts.values()) {
      if (host.pending && (hostId === undefined || keyOf(host.id) === keyOf(hostId))) this.finish(host, host.pending);
    }
  }

  get(id: string): Operation | undefined {
    const op = this.all.get(keyOf(id));
    const host = op ? this.registry.hosts.get(op.hostKey) : undefined;
    if (host) this.settle(host);
    return op;
  }

  private finish(host: Host, op: Operation): void {
    host.pending = undefined;
    op.endTime = Date.now();
    if (op.failWith) {
      op.status = "Failed";
      op.error = op.failWith;
      return;
    }
    host.identity = op.target;
    host.tags = op.targetTags;
    op.status = "Succeeded";
  }
}
