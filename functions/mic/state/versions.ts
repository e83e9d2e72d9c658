// Whether an incoming object event is newer than what is stored. Kubernetes calls
// resourceVersion opaque, but every real API server (etcd revision) and our kube peer issue
// decimal integers that grow across all objects; so:
//   - both decimal → compare as integers (BigInt: etcd revisions are int64);
//   - otherwise we cannot order them: equal strings are the same version, different ones are
//     taken as newer (Service Bus sessions deliver a cluster's events in order).
// Deletion is final for a uid: Kubernetes never revives a deleted object, a re-created one gets
// a new uid. Tombstones (uid + last resourceVersion) therefore make "delete, then a stale
// upsert of the same object" harmless.

export interface StoredVersion {
  uid?: string | undefined;
  resourceVersion?: string | undefined;
  deleted: boolean;
  /** JSON of the stored object (live rows only), to spot duplicates without a resourceVersion. */
  json?: string | undefined;
}

export interface IncomingVersion {
  uid?: string | undefined;
  resourceVersion?: string | undefined;
  json: string;
}

export type Decision =
  | { apply: true; reason: "new" | "newer" | "changed" | "recreated" }
  | { apply: false; reason: "duplicate" | "stale" | "deleted" };

const DECIMAL = /^\d+$/;

/** -1, 0, 1; undefined when the two cannot be ordered. */
export function compareResourceVersions(a: string | undefined, b: string | undefined): -1 | 0 | 1 | undefined {
  if (a === undefined || b === undefined || !DECIMAL.test(a) || !DECIMAL.test(b)) return a !== undefined && a === b ? 0 : undefined;
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

const sameUid = (a?: string, b?: string): boolean => a !== undefined && b !== undefined && a === b;
const otherUid = (a?: string, b?: string): boolean => a !== undefined && b !== undefined && a !== b;

export function decideUpsert(stored: StoredVersion | undefined, incoming: IncomingVersion): Decision {
  if (!stored) return { apply: true, reason: "new" };
  const cmp = compareResourceVersions(incoming.resourceVersion, stored.resourceVersion);
  if (stored.deleted) {
    if (!otherUid(incoming.uid, stored.uid)) return { apply: false, reason: "deleted" };
    // A different incarnation: newer unless its version says it is older than the tombstone.
    return cmp === -1 || cmp === 0 ? { apply: false, reason: "stale" } : { apply: true, reason: "recreated" };
  }
  if (cmp === 1) return { apply: true, reason: otherUid(incoming.uid, stored.uid) ? "recreated" : "newer" };
  if (cmp === -1) return { apply: false, reason: "stale" };
  if (cmp === 0) return { apply: false, reason: "duplicate" };
  if (otherUid(incoming.uid, stored.uid)) return { apply: true, reason: "recreated" };
  return incoming.json === stored.json ? { apply: false, reason: "duplicate" } : { apply: true, reason: "changed" };
}

export function decideDelete(stored: StoredVersion | undefined, incoming: Omit<IncomingVersion, "json">): Decision {
  // Nothing stored: still record a tombstone, so a late upsert of this uid cannot revive it.
  if (!stored) return { apply: true, reason: "new" };
  if (stored.deleted) return sameUid(incoming.uid, stored.uid) || incoming.uid === undefined ? { apply: false, reason: "duplicate" } : { apply: true, reason: "newer" };
  if (otherUid(incoming.uid, stored.uid) && compareResourceVersions(incoming.resourceVersion, stored.resourceVersion) !== 1) {
    // The delete of an older incarnation arriving after the new one was stored.
    return { apply: false, reason: "stale" };
  }
  return { apply: true, reason: "newer" };
}

/** The larger of two versions (the tombstone keeps the latest one known). */
export function maxResourceVersion(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return compareResourceVersions(a, b) === -1 ? b : a;
}
