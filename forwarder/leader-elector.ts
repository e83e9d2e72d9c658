// Lease-based leader election: one active forwarder per cluster.
//
// Every retry period a candidate reads the Lease and, when it is free or expired, takes it with
// an optimistic-concurrency write (a 409 means another replica won). The leader renews on the
// same period; if it cannot renew for renewDeadline, or finds another holder, it stops its work
// (before the lease can expire for others, since renewDeadline < leaseDuration) and re-enters
// the election. stop() stops the work and releases the lease so a standby takes over at once.
import type { Logger } from "pino";
import { classifyKubeError, describeKubeError } from "./errors.ts";
import { decideLease, leaseDurationSeconds, observe, type Observation } from "./lease-decision.ts";
import type { LeaseStore, LeaseWrite, StoredLease } from "./lease-store.ts";
import { sleep, type Clock } from "./timing.ts";

export interface LeaderElectorOptions {
  store: LeaseStore;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  clock: Clock;
  logger: Logger;
  onStartedLeading: () => void | Promise<void>;
  /** Must resolve only when the active work has stopped. */
  onStoppedLeading: () => Promise<void>;
}

export class LeaderElector {
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private leading = false;
  private lastRenew = 0;
  private observation: Observation | undefined;
  private lastHolder: string | undefined;

  constructor(private readonly o: LeaderElectorOptions) {}

  get isLeader(): boolean {
    return this.leading;
  }

  /** Holder seen in the last read of the lease (for /readyz and logs). */
  get currentHolder(): string | undefined {
    return this.lastHolder;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops campaigning; a leader stops its work and (unless told otherwise) releases the lease. */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.abort.abort();
    await this.loop;
    if (this.leading) {
      await this.stepDown("stopping");
      if (options.release !== false) await this.release();
    }
  }

  private async run(): Promise<void> {
    while (!this.abort.signal.aborted) {
      const ok = await this.tryAcquireOrRenew();
      if (this.abort.signal.aborted) break;
      const now = this.o.clock.now();
      if (ok) {
        this.lastRenew = now;
        if (!this.leading) {
          this.leading = true;
          this.o.logger.info({ identity: this.o.identity }, "became leader");
          await this.o.onStartedLeading();
        }
      } else if (this.leading && (this.lastHolder !== this.o.identity || now - this.lastRenew >= this.o.renewDeadlineMs)) {
        await this.stepDown(this.lastHolder !== this.o.identity ? `lease taken by ${this.lastHolder ?? "?"}` : "could not renew within the renew deadline");
      }
      // Candidates add jitter so a crowd of standbys does not retry in lockstep.
      const wait = this.leading ? this.o.retryPeriodMs : this.o.retryPeriodMs * (1 + 0.2 * Math.random());
      await sleep(wait, this.abort.signal);
    }
  }

  private async stepDown(reason: string): Promise<void> {
    this.leading = false;
    this.o.logger.warn({ identity: this.o.identity, reason }, "stopped leading");
    await this.o.onStoppedLeading();
  }

  private write(current: StoredLease | undefined, transitions: number, acquired: boolean): LeaseWrite {
    const now = new Date(this.o.clock.now());
    const keepAcquire = !acquired && current?.acquireTime !== undefined ? new Date(current.acquireTime) : now;
    return {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: leaseDurationSeconds(this.o.leaseDurationMs),
      acquireTime: keepAcquire,
      renewTime: now,
      leaseTransitions: transitions,
    };
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    try {
      const lease = await this.o.store.get();
      const now = this.o.clock.now();
      this.observation = observe(this.observation, lease, now);
      this.lastHolder = lease?.holderIdentity;
      const decision = decideLease({
        lease, observation: this.observation, identity: this.o.identity, leading: this.leading, now, defaultDurationMs: this.o.leaseDurationMs,
      });
      let written: StoredLease;
      switch (decision.action) {
        case "wait":
          return false;
        case "create":
          written = await this.o.store.create(this.write(undefined, 0, true));
          break;
        case "acquire":
          written = await this.o.store.replace(lease?.resourceVersion ?? "", this.write(lease, decision.transitions, true));
          break;
        case "renew":
          written = await this.o.store.replace(lease?.resourceVersion ?? "", this.write(lease, lease?.leaseTransitions ?? 0, false));
          break;
      }
      this.observation = observe(this.observation, written, this.o.clock.now());
      this.lastHolder = this.o.identity;
      return true;
    } catch (error) {
      // 409/AlreadyExists: another replica wrote first; anything else: API trouble. Both: not ours now.
      this.o.logger.debug({ code: classifyKubeError(error), err: describeKubeError(error) }, "lease acquire/renew failed");
      return false;
    }
  }

  private async release(): Promise<void> {
    try {
      const lease = await this.o.store.get();
      if (lease?.holderIdentity !== this.o.identity) return;
      const now = new Date(this.o.clock.now());
      await this.o.store.replace(lease.resourceVersion, {
        holderIdentity: "", leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: lease.leaseTransitions ?? 0,
      });
      this.o.logger.info({ identity: this.o.identity }, "lease released");
    } catch (error) {
      this.o.logger.warn({ err: describeKubeError(error) }, "could not release the lease; it will expire");
    }
  }
}
