// Plain-text tables in kubectl's style: upper-case headers, columns separated by three spaces,
// no borders, so output stays greppable and copy-pastable.

export function table(headers: string[], rows: string[][], indent = ""): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string =>
    indent + cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("   ").trimEnd();
  return [line(headers.map((h) => h.toUpperCase())), ...rows.map(line)].join("\n");
}

/** `label   value` lines with aligned values. */
export function fields(pairs: Array<[string, string]>, indent = ""): string {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${indent}${k.padEnd(width)}   ${v}`).join("\n");
}

export const dash = (s: string | number | undefined | null): string => (s === undefined || s === null || s === "" ? "-" : String(s));
