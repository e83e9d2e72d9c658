// RowBackend on Azure Tables (@azure/data-tables). Single operations use the direct APIs (they
// honour etags for deletes too); multi-row batches use entity group transactions (atomic within
// one partition, at most 100 operations).
import { odata, RestError, type TableClient, type TableEntity, type TableEntityResult, type TransactionAction } from "@azure/data-tables";
import { MAX_BATCH_OPS, RowConflictError, prefixEnd, type Row, type RowBackend, type RowOp, type RowProps, type RowQuery, type RowValue } from "./backend.ts";
import { checkRowLimits } from "./limits.ts";

const SYSTEM_PROPS = new Set(["partitionKey", "rowKey", "etag", "timestamp", "odata.metadata"]);

function toRow(entity: TableEntityResult<Record<string, unknown>>): Row {
  const props: RowProps = {};
  for (const [k, v] of Object.entries(entity)) {
    if (SYSTEM_PROPS.has(k)) continue;
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") props[k] = v;
  }
  return { rowKey: entity.rowKey ?? "", props, etag: entity.etag };
}

function conflict(e: unknown): never {
  if (e instanceof RestError && (e.statusCode === 409 || e.statusCode === 412 || e.statusCode === 404)) {
    throw new RowConflictError(`${e.code ?? "conflict"}: ${e.message.split("\n")[0] ?? ""}`, e.statusCode);
  }
  throw e;
}

function literal(value: RowValue): string {
  // (odata`${v}` would not quote a value that has no literal text before it.)
  return typeof value === "string" ? `'${value.replace(/'/g, "''")}'` : String(value);
}

export class TablesRowBackend implements RowBackend {
  constructor(private readonly client: TableClient) {}

  /** Creates the table if it does not exist (idempotent). */
  async ensureTable(): Promise<void> {
    await this.client.createTable();
  }

  async get(partition: string, rowKey: string): Promise<Row | undefined> {
    try {
      return toRow(await this.client.getEntity<Record<string, unknown>>(partition, rowKey));
    } catch (e) {
      if (e instanceof RestError && e.statusCode === 404) return undefined;
      throw e;
    }
  }

  async list(partition: string, query: RowQuery): Promise<Row[]> {
    const clauses = [
      odata`PartitionKey eq ${partition} and RowKey ge ${query.prefix} and RowKey lt ${prefixEnd(query.prefix)}`,
      ...Object.entries(query.where ?? {}).map(([k, v]) => `${k} eq ${literal(v)}`),
    ];
    const select = query.select ? ["RowKey", ...query.select] : undefined;
    const rows: Row[] = [];
    const iter = this.client.listEntities<Record<string, unknown>>({ queryOptions: { filter: clauses.join(" and "), ...(select ? { select } : {}) } });
    for await (const entity of iter) rows.push(toRow(entity));
    return rows.sort((a, b) => (a.rowKey < b.rowKey ? -1 : 1));
  }

  async commit(partition: string, ops: readonly RowOp[]): Promise<void> {
    if (ops.length === 0) return;
    if (ops.length > MAX_BATCH_OPS) throw new Error(`batch of ${ops.length} operations exceeds ${MAX_BATCH_OPS}`);
    for (const op of ops) if (op.op !== "delete") checkRowLimits(op.rowKey, op.props);
    const entity = (op: RowOp): TableEntity => ({ partitionKey: partition, rowKey: op.rowKey, ...(op.op === "delete" ? {} : op.props) });
    try {
      if (ops.length === 1) {
        const op = ops[0]!;
        switch (op.op) {
          case "create": await this.client.createEntity(entity(op)); break;
          case "upsert": await this.client.upsertEntity(entity(op), "Replace"); break;
          case "replace": await this.client.updateEntity(entity(op), "Replace", { etag: op.etag }); break;
          case "delete": await this.deleteIfExists(partition, op.rowKey, op.etag); break;
        }
        return;
      }
      if (ops.some((op) => op.op === "delete" && op.etag !== undefined)) throw new Error("conditional deletes must be alone in a batch");
      const actions = ops.map((op): TransactionAction => {
        switch (op.op) {
          case "create": return ["create", entity(op)];
          case "upsert": return ["upsert", entity(op), "Replace"];
          case "replace": return ["update", entity(op), "Replace", { etag: op.etag }];
          case "delete": return ["delete", entity(op)];
        }
      });
      await this.client.submitTransaction(actions);
    } catch (e) {
      conflict(e);
    }
  }

  private async deleteIfExists(partition: string, rowKey: string, etag: string | undefined): Promise<void> {
    try {
      await this.client.deleteEntity(partition, rowKey, etag === undefined ? {} : { etag });
    } catch (e) {
      if (!(e instanceof RestError && e.statusCode === 404)) throw e;
    }
  }
}
