// The minimal row store the cluster state store is built on: one partition per cluster, point
// reads, prefix listings, and atomic conditional batches. Azure Tables (tables-backend.ts) and an
// in-memory map (memory-backend.ts) implement it, so all state logic is shared by both.

export type RowValue = string | number | boolean;
export type RowProps = Record<string, RowValue>;

export interface Row {
  rowKey: string;
  props: RowProps;
  etag: string;
}

export type RowOp =
  /** Fails with RowConflictError if the row exists. */
  | { op: "create"; rowKey: string; props: RowProps }
  /** Replaces the whole row, creating it if needed. */
  | { op: "upsert"; rowKey: string; props: RowProps }
  /** Replaces the whole row only if its etag still matches. */
  | { op: "replace"; rowKey: string; props: RowProps; etag: string }
  /**
   * Deletes. In a multi-row batch the row must exist and `etag` is not allowed (Tables
   * transactions cannot make deletes conditional); alone, a missing row is a no-op and `etag`
   * makes it conditional.
   */
  | { op: "delete"; rowKey: string; etag?: string };

export interface RowQuery {
  /** Row keys starting with this prefix (which must end with the `|` separator). */
  prefix: string;
  /** Equality filters on properties. */
  where?: Readonly<Record<string, RowValue>>;
  /** Properties to return (others are omitted); all when absent. */
  select?: readonly string[];
}

/** Azure Tables: at most 100 operations per entity group transaction. */
export const MAX_BATCH_OPS = 100;

export interface RowBackend {
  get(partition: string, rowKey: string): Promise<Row | undefined>;
  list(partition: string, query: RowQuery): Promise<Row[]>;
  /** Atomic: all operations or none; at most MAX_BATCH_OPS, each row key at most once. */
  commit(partition: string, ops: readonly RowOp[]): Promise<void>;
}

/** A batch lost a race: an etag no longer matched, a created row existed, or a replaced row vanished. */
export class RowConflictError extends Error {
  override readonly name = "RowConflictError";
  constructor(message: string, readonly status: 409 | 412 | 404) {
    super(message);
  }
}

/** A row would exceed Azure Tables' limits (64 KiB per property, 1 MiB / 252 properties per row). */
export class RowTooLargeError extends Error {
  override readonly name = "RowTooLargeError";
}

/** Upper bound of row keys starting with `prefix` (prefix must end with `|`, 0x7C; `}` is 0x7D). */
export function prefixEnd(prefix: string): string {
  if (!prefix.endsWith("|")) throw new Error(`row key prefix '${prefix}' must end with '|'`);
  return `${prefix.slice(0, -1)}}`;
}
