// Session locks and session state of one queue. A session is locked by one receiver link at a
// time; its lock expires unless renewed, which the broker reports as session-lock-lost.

/** The receiver holding a session lock; told when the lock is lost. */
export interface SessionOwner {
  readonly id: string;
  sessionLost(sessionId: string): void;
}

interface SessionEntry {
  state: Buffer | undefined;
  owner: SessionOwner | undefined;
  lockedUntil: number;
  timer: NodeJS.Timeout | undefined;
}

export class SessionTable {
  private readonly sessions = new Map<string, SessionEntry>();

  constructor(
    private readonly lockDurationMs: number,
    /** Called after a lock ended (expiry or release) so the queue can free the session's messages. */
    private readonly onUnlocked: (sessionId: string, expired: boolean) => void,
  ) {}

  private entry(id: string): SessionEntry {
    let e = this.sessions.get(id);
    if (!e) {
      e = { state: undefined, owner: undefined, lockedUntil: 0, timer: undefined };
      this.sessions.set(id, e);
    }
    return e;
  }

  ownerOf(id: string): SessionOwner | undefined {
    return this.sessions.get(id)?.owner;
  }

  isLocked(id: string): boolean {
    return this.ownerOf(id) !== undefined;
  }

  lockedUntil(id: string): number | undefined {
    const e = this.sessions.get(id);
    return e?.owner ? e.lockedUntil : undefined;
  }

  /** Returns the lock expiry, or undefined when another receiver holds the session. */
  lock(id: string, owner: SessionOwner): number | undefined {
    const e = this.entry(id);
    if (e.owner && e.owner.id !== owner.id) return undefined;
    e.owner = owner;
    return this.arm(id, e);
  }

  renew(id: string): number | undefined {
    const e = this.sessions.get(id);
    return e?.owner ? this.arm(id, e) : undefined;
  }

  release(id: string, owner: SessionOwner): void {
    const e = this.sessions.get(id);
    if (!e || e.owner?.id !== owner.id) return;
    this.unlock(e);
    this.onUnlocked(id, false);
  }

  getState(id: string): Buffer | undefined {
    return this.sessions.get(id)?.state;
  }

  setState(id: string, state: Buffer | undefined): void {
    this.entry(id).state = state;
  }

  close(): void {
    for (const e of this.sessions.values()) this.unlock(e);
  }

  private arm(id: string, e: SessionEntry): number {
    if (e.timer) clearTimeout(e.timer);
    e.lockedUntil = Date.now() + this.lockDurationMs;
    e.timer = setTimeout(() => this.expire(id), this.lockDurationMs);
    e.timer.unref();
    return e.lockedUntil;
  }

  private expire(id: string): void {
    const e = this.sessions.get(id);
    const owner = e?.owner;
    if (!e || !owner) return;
    this.unlock(e);
    this.onUnlocked(id, true);
    owner.sessionLost(id);
  }

  private unlock(e: SessionEntry): void {
    if (e.timer) clearTimeout(e.timer);
    e.timer = undefined;
    e.owner = undefined;
    e.lockedUntil = 0;
  }
}
