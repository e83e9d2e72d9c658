// Rendering results as markdown, and replacing one section of docs/benchmarks.md in place.
import type { BenchResult, BenchTable } from "./types.ts";
import { cpus } from "node:os";

export function table(t: BenchTable): string {
  const line = (cells: string[]): string => `| ${cells.join(" | ")} |`;
  return [line(t.columns), line(t.columns.map(() => "---")), ...t.rows.map(line)].join("\n");
}

export function machineNotes(now = new Date()): string {
  const cpu = cpus();
  return `${now.toISOString().slice(0, 10)} · Node ${process.version} · ${cpu.length} cores (${cpu[0]?.model.trim() ?? "unknown CPU"}) · ${process.platform}/${process.arch}`;
}

export function renderResult(r: BenchResult, machine: string): string {
  return [
    `### ${r.title}`,
    "",
    `_${machine}_`,
    "",
    ...r.tables.flatMap((t) => [table(t), ""]),
    ...r.targets.map((t) => `- ${t.met ? "✅" : "❌"} **${t.name}** — ${t.detail}`),
    ...r.notes.map((n) => `- ${n}`),
  ].join("\n").trimEnd() + "\n";
}

export const startMarker = (id: string): string => `<!-- bench:${id}:start -->`;
export const endMarker = (id: string): string => `<!-- bench:${id}:end -->`;

/** Replaces the section between the module's markers, or appends it with markers. */
export function replaceSection(doc: string, id: string, body: string): string {
  const start = startMarker(id);
  const end = endMarker(id);
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  const block = `${start}\n${body}${end}`;
  if (i >= 0 && j > i) return doc.slice(0, i) + block + doc.slice(j + end.length);
  return `${doc.trimEnd()}\n\n${block}\n`;
}
