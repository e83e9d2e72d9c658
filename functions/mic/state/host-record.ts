// The per-host entity: the generation counter the ingest bumps whenever the host's inputs may
// have changed, what the orchestration reconciled last, and the ids podid added (the only ones
// it may remove). Long lists are stored as chunked JSON so a host with hundreds of identities
// stays within Azure Tables' property limit.
import { z } from "zod";
import type { HostRef } from "../planner/index.ts";
import type { Row, RowProps } from "./backend.ts";
import { readChunkedJson, writeChunkedJson } from "./limits.ts";

export interface HostError {
  /** Stable code (error catalog / ARM code). */
  code: string;
  message: string;
  at: string;
}

/** What is still to do on a host after its last reconcile, for the status API. */
export interface HostPendingSummary {
  adds: string[];
  removes: string[];
  skipped: Array<{ id: string; reason: string }>;
  assignments?: { assigned: number; failed: number; created: number } | undefined;
  /** User-assigned ids ARM reported on the host at the last verify (absent: no GET succeeded). */
  verified?: string[] | undefined;
}

export interface HostRecord {
  cluster: string;
  /** `resourceIdKey(hostId)`. */
  hostKey: string;
  /** Canonical resource ID of the scale set or VM. */
  hostId: string;
  /** Bumped by the ingest each time the host's desired state may have changed. */
  generation: number;
  /** Highest generation an orchestration has reconciled; never moves backwards. */
  reconciledGeneration: number;
  /** Ids podid added to the host (original spellings). */
  podidAssigned: string[];
  lastError: HostError | null;
  lastReconciledAt: string | null;
  pending: HostPendingSummary | null;
  /** Opaque version of the stored row. */
  etag: string;
}

const HostErrorSchema = z.object({ code: z.string(), message: z.string(), at: z.string() });
const PendingSchema = z.object({
  adds: z.array(z.string()),
  removes: z.array(z.string()),
  skipped: z.array(z.object({ id: z.string(), reason: z.string() })),
  assignments: z.object({ assigned: z.number(), failed: z.number(), created: z.number() }).optional(),
  verified: z.array(z.string()).optional(),
});

export function newHostRecord(cluster: string, host: HostRef): HostRecord {
  return {
    cluster, hostKey: host.hostKey, hostId: host.hostId, generation: 0, reconciledGeneration: 0,
    podidAssigned: [], lastError: null, lastReconciledAt: null, pending: null, etag: "",
  };
}

export function hostRecordProps(r: HostRecord): RowProps {
  const props: RowProps = {
    hostKey: r.hostKey, hostId: r.hostId, generation: r.generation, reconciledGeneration: r.reconciledGeneration,
  };
  writeChunkedJson(props, "podidAssigned", r.podidAssigned);
  if (r.lastError) props.lastError = JSON.stringify(r.lastError);
  if (r.lastReconciledAt !== null) props.lastReconciledAt = r.lastReconciledAt;
  if (r.pending) writeChunkedJson(props, "pending", r.pending);
  return props;
}

export function hostRecordFromRow(cluster: string, row: Row): HostRecord {
  const p = row.props;
  const num = (k: string) => (typeof p[k] === "number" ? (p[k]) : 0);
  const str = (k: string) => (typeof p[k] === "string" ? (p[k]) : undefined);
  const lastError = str("lastError");
  const pending = readChunkedJson(p, "pending");
  return {
    cluster,
    hostKey: str("hostKey") ?? "",
    hostId: str("hostId") ?? str("hostKey") ?? "",
    generation: num("generation"),
    reconciledGeneration: num("reconciledGeneration"),
    podidAssigned: z.array(z.string()).parse(readChunkedJson(p, "podidAssigned") ?? []),
    lastError: lastError === undefined ? null : HostErrorSchema.parse(JSON.parse(lastError)),
    lastReconciledAt: str("lastReconciledAt") ?? null,
    pending: pending === undefined ? null : PendingSchema.parse(pending),
    etag: row.etag,
  };
}
