// In-memory RowBackend with Azure Tables' semantics (etags, atomic batches, size and key limits)
// for planner-level tests. Integration tests use Azurite through tables-backend.ts instead.
import { MAX_BATCH_OPS, RowConflictError, prefixEnd, type Row, type RowBackend, type RowOp, type RowQuery } from "./backend.ts";
import { checkRowLimits } from "./limits.ts";

// eslint-disable-next-line no-control-regex
const FORBIDDEN_KEY_CHARS = /[/\\#?\u0000-\u001f\u007f-\u009f]/;

export class MemoryRowBackend implements RowBackend {
  readonly #partitions = new Map<string, Map<string, Row>>();
  #etag = 0;

  #partition(name: string): Map<string, Row> {
    let p = this.#partitions.get(name);
    if (!p) {
      p = new Map();
      this.#partitions.set(name, p);
    }
    return p;
  }

  async get(partition: string, rowKey: string): Promise<Row | undefined> {
    const row = this.#partitions.get(partition)?.get(rowKey);
    return row && structuredClone(row);
  }

  async list(partition: string, query: RowQuery): Promise<Row[]> {
    const end = prefixEnd(query.prefix);
    const rows = [...(this.#partitions.get(partition)?.values() ?? [])]
      .filter((r) => r.rowKey >= query.prefix && r.rowKey < end)
      .filter((r) => Object.entries(query.where ?? {}).every(([k, v]) => r.props[k] === v))
      .sort((a, b) => (a.rowKey < b.rowKey ? -1 : 1));
    return rows.map((r) => {
      const copy = structuredClone(r);
      if (query.select) copy.props = Object.fromEntries(Object.entries(copy.props).filter(([k]) => query.select?.includes(k)));
      return copy;
    });
  }

  async commit(partition: string, ops: readonly RowOp[]): Promise<void> {
    if (ops.length === 0) return;
    if (ops.length > MAX_BATCH_OPS) throw new Error(`batch of ${ops.length} operations exceeds ${MAX_BATCH_OPS}`);
    if (new Set(ops.map((o) => o.rowKey)).size !== ops.length) throw new Error("a batch may touch each row only once");
    if (FORBIDDEN_KEY_CHARS.test(partition)) throw new Error(`partition key '${partition}' has a forbidden character`);
    const rows = this.#partition(partition);
    // Validate everything first: a batch is all or nothing.
    for (const op of ops) {
      if (FORBIDDEN_KEY_CHARS.test(op.rowKey)) throw new Error(`row key '${op.rowKey}' has a forbidden character`);
      if (op.op !== "delete") checkRowLimits(op.rowKey, op.props);
      const existing = rows.get(op.rowKey);
      if (op.op === "create" && existing) throw new RowConflictError(`row ${op.rowKey} already exists`, 409);
      if (op.op === "replace" && !existing) throw new RowConflictError(`row ${op.rowKey} does not exist`, 404);
      if (op.op === "replace" && existing?.etag !== op.etag) throw new RowConflictError(`row ${op.rowKey} changed (etag mismatch)`, 412);
      // Like a Tables transaction: deleting a missing row fails the batch (alone it is a no-op).
      if (op.op === "delete" && !existing && ops.length > 1) throw new RowConflictError(`row ${op.rowKey} does not exist`, 404);
      if (op.op === "delete" && op.etag !== undefined) {
        if (ops.length > 1) throw new Error("conditional deletes must be alone in a batch");
        if (existing && existing.etag !== op.etag) throw new RowConflictError(`row ${op.rowKey} changed (etag mismatch)`, 412);
      }
    }
    for (const op of ops) {
      if (op.op === "delete") rows.delete(op.rowKey);
      else rows.set(op.rowKey, { rowKey: op.rowKey, props: structuredClone(op.props), etag: `W/"${++this.#etag}"` });
    }
  }
}
