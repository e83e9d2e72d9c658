// ClusterStateStore: the MIC's cluster state (one partition per cluster) with a single writer
// per cluster — the micEvents trigger, serialised by Service Bus sessions — plus the per-host
// records the reconcile orchestrations read and advance.
import type { MicEvent } from "../../../core/index.ts";
import type { ClusterState, HostRef, MicSettings, PublishedAssignment } from "../planner/index.ts";
import type { RowBackend } from "./backend.ts";
import type { HostRecord } from "./host-record.ts";
import {
  bumpGenerations, getHost, listHosts, markReconciled, recordPodidAssigned,
  type BumpedHost, type MarkReconciledOutcome, type PodidAssignedChange, type ReconcileResult,
} from "./hosts.ts";
import { ingestObjectEvent } from "./ingest-object.ts";
import { ingestSnapshotPart } from "./ingest-snapshot.ts";
import { readMeta } from "./meta.ts";
import { listPublished, recordPublished, removePublished } from "./published.ts";
import { loadClusterState } from "./relevant-state.ts";

export type IngestReason =
  | "new" | "newer" | "changed" | "recreated" | "duplicate" | "stale" | "deleted"
  | "snapshot-part-stored" | "snapshot-applied";

export interface IngestResult {
  cluster: string;
  /** Whether the event changed stored state. */
  applied: boolean;
  reason: IngestReason;
  /**
   * Hosts whose generation this call bumped, with the new generation — including hosts left
   * over by an interrupted earlier ingest. Poke their orchestrations after this returns.
   */
  affectedHosts: BumpedHost[];
  snapshot?: { snapshotId: string; complete: boolean; received: number; parts: number; upserts: number; deletes: number };
}

export interface ClusterStateStore {
  /** Applies one parsed mic-events message (idempotent; stale events are ignored). */
  ingest(event: MicEvent): Promise<IngestResult>;
  loadClusterState(cluster: string): Promise<ClusterState>;
  /** `host` is a hostKey or a hostId (compared case-insensitively). */
  getHostRecord(cluster: string, host: string): Promise<HostRecord | undefined>;
  listHosts(cluster: string): Promise<HostRecord[]>;
  /** Forces a re-reconcile (e.g. the resync API): bumps each host's generation. */
  bumpGenerations(cluster: string, hosts: readonly HostRef[]): Promise<BumpedHost[]>;
  /** Records a finished reconcile; never moves `reconciledGeneration` backwards. */
  markReconciled(cluster: string, host: HostRef | string, generation: number, result: ReconcileResult): Promise<MarkReconciledOutcome>;
  recordPodidAssigned(cluster: string, host: HostRef | string, change: PodidAssignedChange): Promise<HostRecord>;
  listPublished(cluster: string, hostKey?: string): Promise<PublishedAssignment[]>;
  recordPublished(cluster: string, assignments: readonly PublishedAssignment[]): Promise<void>;
  removePublished(cluster: string, hostKey: string, keys: readonly string[]): Promise<string[]>;
}

export interface StoreOptions {
  settings: Pick<MicSettings, "forceNamespaced">;
}

function mergeBumps(a: readonly BumpedHost[], b: readonly BumpedHost[]): BumpedHost[] {
  const out = new Map<string, BumpedHost>();
  for (const h of [...a, ...b]) {
    const prev = out.get(h.hostKey);
    if (!prev || h.generation > prev.generation) out.set(h.hostKey, h);
  }
  return [...out.values()].sort((x, y) => (x.hostKey < y.hostKey ? -1 : 1));
}

export function createClusterStateStore(backend: RowBackend, options: StoreOptions): ClusterStateStore {
  const { settings } = options;
  return {
    async ingest(event) {
      const { cluster } = event;
      let meta = await readMeta(backend, cluster);
      let flushed: BumpedHost[] = [];
      if (meta.pending.length > 0) {
        flushed = await bumpGenerations(backend, cluster, meta.pending, true);
        meta = await readMeta(backend, cluster);
      }
      if (event.kind === "Snapshot") {
        const s = await ingestSnapshotPart(backend, settings, meta, event);
        return {
          cluster, applied: true, reason: s.complete ? "snapshot-applied" : "snapshot-part-stored",
          affectedHosts: mergeBumps(flushed, s.bumped),
          snapshot: { snapshotId: event.snapshotId, complete: s.complete, received: s.received, parts: s.parts, upserts: s.upserts, deletes: s.deletes },
        };
      }
      const o = await ingestObjectEvent(backend, settings, meta, event);
      return { cluster, applied: o.applied, reason: o.reason, affectedHosts: mergeBumps(flushed, o.bumped) };
    },
    loadClusterState: (cluster) => loadClusterState(backend, cluster),
    getHostRecord: (cluster, host) => getHost(backend, cluster, host),
    listHosts: (cluster) => listHosts(backend, cluster),
    bumpGenerations: (cluster, hosts) => bumpGenerations(backend, cluster, hosts),
    markReconciled: (cluster, host, generation, result) => markReconciled(backend, cluster, host, generation, result),
    recordPodidAssigned: (cluster, host, change) => recordPodidAssigned(backend, cluster, host, change),
    listPublished: (cluster, hostKey) => listPublished(backend, cluster, hostKey),
    recordPublished: (cluster, assignments) => recordPublished(backend, cluster, assignments),
    removePublished: (cluster, hostKey, keys) => removePublished(backend, cluster, hostKey, keys),
  };
}

/** The entry point the micEvents trigger calls (DESIGN §5): state first, then poke `affectedHosts`. */
export function ingestEvent(store: ClusterStateStore, event: MicEvent): Promise<IngestResult> {
  return store.ingest(event);
}
