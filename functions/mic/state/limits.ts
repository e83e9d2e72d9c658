// Azure Tables limits, checked before writing so both backends fail the same way, and strings
// longer than one property allows are split across numbered properties.
import { RowTooLargeError, type RowProps } from "./backend.ts";

/** 64 KiB per string property, in UTF-16 code units, minus headroom. */
export const MAX_PROPERTY_CHARS = 30_000;
const MAX_ROW_BYTES = 1024 * 1024 - 16 * 1024;
const MAX_PROPERTIES = 252 - 3; // PartitionKey, RowKey, Timestamp count against the limit

/** Stores `value` as `<name>_n` (chunk count) and `<name>_0..n-1`, never splitting a surrogate pair. */
export function writeChunked(props: RowProps, name: string, value: string): void {
  let i = 0;
  let at = 0;
  while (at < value.length) {
    let end = Math.min(at + MAX_PROPERTY_CHARS, value.length);
    const last = value.charCodeAt(end - 1);
    if (end < value.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    props[`${name}_${i}`] = value.slice(at, end);
    at = end;
    i += 1;
  }
  props[`${name}_n`] = i;
}

export function readChunked(props: RowProps, name: string): string | undefined {
  const n = props[`${name}_n`];
  if (typeof n !== "number") return undefined;
  let out = "";
  for (let i = 0; i < n; i++) {
    const part = props[`${name}_${i}`];
    if (typeof part !== "string") throw new Error(`row property ${name}_${i} of ${n} is missing`);
    out += part;
  }
  return out;
}

export function writeChunkedJson(props: RowProps, name: string, value: unknown): void {
  writeChunked(props, name, JSON.stringify(value));
}

export function readChunkedJson(props: RowProps, name: string): unknown {
  const text = readChunked(props, name);
  return text === undefined ? undefined : (JSON.parse(text) as unknown);
}

export function checkRowLimits(rowKey: string, props: RowProps): void {
  const names = Object.keys(props);
  if (names.length > MAX_PROPERTIES) throw new RowTooLargeError(`row ${rowKey} has ${names.length} properties (max ${MAX_PROPERTIES})`);
  let bytes = 0;
  for (const [k, v] of Object.entries(props)) {
    bytes += 2 * k.length + 8;
    if (typeof v === "string") {
      if (v.length > 32 * 1024) throw new RowTooLargeError(`row ${rowKey} property ${k} is ${v.length} UTF-16 units (max 32768)`);
      bytes += 2 * v.length;
    }
  }
  if (bytes > MAX_ROW_BYTES) throw new RowTooLargeError(`row ${rowKey} is about ${bytes} bytes (max ${MAX_ROW_BYTES})`);
}
