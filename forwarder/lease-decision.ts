// Pure leader-election decisions over a coordination.k8s.io/v1 Lease.
//
// Expiry is judged on *our* clock: a lease counts as expired when its record (resourceVersion)
// has not changed for leaseDurationSeconds since we first saw that version. Comparing the
// holder's renewTime with our clock would make a skewed clock steal a live lease.

export interface LeaseRecord {
  resourceVersion?: string | undefined;
  holderIdentity?: string | undefined;
  leaseDurationSeconds?: number | undefined;
  leaseTransitions?: number | undefined;
  renewTime?: Date | string | undefined;
}

export interface Observation {
  /** What identifies this version of the record (resourceVersion, else its content). */
  version: string;
  /** Our clock when we first saw this version. */
  observedAt: number;
}

export type LeaseDecision =
  | { action: "create" }
  /** Take the lease: it is free, expired, or already ours from a previous life. */
  | { action: "acquire"; transitions: number }
  | { action: "renew" }
  | { action: "wait"; holder: string; expiresInMs: number };

function versionOf(lease: LeaseRecord): string {
  return lease.resourceVersion ?? JSON.stringify([lease.holderIdentity, String(lease.renewTime), lease.leaseDurationSeconds]);
}

/** Updates what we know about the lease: a new version restarts its expiry countdown. */
export function observe(previous: Observation | undefined, lease: LeaseRecord | undefined, now: number): Observation | undefined {
  if (lease === undefined) return undefined;
  const version = versionOf(lease);
  return previous?.version === version ? previous : { version, observedAt: now };
}

export interface DecideInput {
  lease: LeaseRecord | undefined;
  observation: Observation | undefined;
  identity: string;
  /** Whether we believe we lead right now (then a lease naming us is renewed). */
  leading: boolean;
  now: number;
  /** Used when the record carries no duration. */
  defaultDurationMs: number;
}

export function decideLease(input: DecideInput): LeaseDecision {
  const { lease, identity } = input;
  if (lease === undefined) return { action: "create" };
  const holder = lease.holderIdentity ?? "";
  const transitions = lease.leaseTransitions ?? 0;
  if (holder === identity) return input.leading ? { action: "renew" } : { action: "acquire", transitions };
  // Released (empty holder) or never held: free for the taking.
  if (holder === "") return { action: "acquire", transitions: transitions + 1 };
  const durationMs = lease.leaseDurationSeconds !== undefined && lease.leaseDurationSeconds > 0
    ? lease.leaseDurationSeconds * 1000
    : input.defaultDurationMs;
  const observedAt = input.observation?.observedAt ?? input.now;
  const expiresInMs = observedAt + durationMs - input.now;
  if (expiresInMs <= 0) return { action: "acquire", transitions: transitions + 1 };
  return { action: "wait", holder, expiresInMs };
}

/** Lease durations are whole seconds on the wire; never round a short lease down to zero. */
export function leaseDurationSeconds(durationMs: number): number {
  return Math.max(1, Math.ceil(durationMs / 1000));
}
