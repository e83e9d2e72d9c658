// Which clusters the state table knows (the resync timer walks them). Every cluster that ever
// sent an event has a `meta` row in its partition, so one cross-partition query on that row key
// answers it without a separate registry to keep in step.
import { odata } from "@azure/data-tables";
import type { TableClient } from "@azure/data-tables";
import { META_ROW } from "../mic/state/keys.ts";

export interface ClusterDirectory {
  listClusters(): Promise<string[]>;
}

export function tablesClusterDirectory(client: TableClient): ClusterDirectory {
  return {
    async listClusters() {
      const out = new Set<string>();
      const rows = client.listEntities<Record<string, unknown>>({
        queryOptions: { filter: odata`RowKey eq ${META_ROW}`, select: ["PartitionKey"] },
      });
      for await (const row of rows) if (typeof row.partitionKey === "string") out.add(row.partitionKey);
      return [...out].sort();
    },
  };
}

/** A fixed list (tests, or a deployment that serves known clusters only). */
export function staticClusterDirectory(clusters: readonly string[]): ClusterDirectory {
  return { listClusters: () => Promise.resolve([...clusters].sort()) };
}
