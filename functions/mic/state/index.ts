// The MIC's cluster state store. See functions/mic/README.md for the API and the write protocol.
import type { TableClient } from "@azure/data-tables";
import { MemoryRowBackend } from "./memory-backend.ts";
import { createClusterStateStore, type ClusterStateStore, type StoreOptions } from "./store.ts";
import { TablesRowBackend } from "./tables-backend.ts";

export * from "./store.ts";
export type { HostError, HostPendingSummary, HostRecord } from "./host-record.ts";
export type { BumpedHost, MarkReconciledOutcome, PodidAssignedChange, ReconcileResult } from "./hosts.ts";
export { RowConflictError, RowTooLargeError, type RowBackend } from "./backend.ts";
export { MemoryRowBackend } from "./memory-backend.ts";
export { TablesRowBackend } from "./tables-backend.ts";
export { compareResourceVersions, decideDelete, decideUpsert } from "./versions.ts";

/** Default table name; one table serves every cluster (partition = cluster). */
export const STATE_TABLE = "podidstate";

/** In-memory store (same logic, Map-backed): for planner-level tests only. */
export function createMemoryStateStore(options: StoreOptions): ClusterStateStore & { backend: MemoryRowBackend } {
  const backend = new MemoryRowBackend();
  return { ...createClusterStateStore(backend, options), backend };
}

/**
 * Store on Azure Tables. The client is injected (connection string or credential, endpoint —
 * Azure or Azurite — are the caller's business); the table is created unless `ensureTable: false`.
 */
export async function createTablesStateStore(client: TableClient, options: StoreOptions & { ensureTable?: boolean }): Promise<ClusterStateStore> {
  const backend = new TablesRowBackend(client);
  if (options.ensureTable !== false) await backend.ensureTable();
  return createClusterStateStore(backend, options);
}
