// NMI writes pino JSON lines; request lines carry the pod's `pod` and `namespace` (bound once
// NMI identified the caller) plus `status`, `outcome`, `reason`, `code`. This keeps the lines
// of one pod and reads those fields. Pure: text in, lines out.
import { z } from "zod";
import type { NmiLogLine } from "./facts.ts";

const LineSchema = z.looseObject({
  level: z.union([z.number(), z.string()]).optional(),
  time: z.union([z.number(), z.string()]).optional(),
  msg: z.string().optional(),
  pod: z.string().optional(),
  namespace: z.string().optional(),
  status: z.number().optional(),
  outcome: z.string().optional(),
  reason: z.string().optional(),
  code: z.string().optional(),
  identity: z.string().optional(),
  clientId: z.string().optional(),
  durationMs: z.number().optional(),
});

const LEVELS: Record<number, string> = { 10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };

export interface FilteredLog {
  /** Lines of the log that were JSON objects (others, e.g. stack traces, are skipped). */
  scanned: number;
  lines: NmiLogLine[];
}

/** The last `limit` lines about `namespace/pod`, oldest first. */
export function filterNmiLog(text: string, target: { namespace: string; pod: string }, limit: number): FilteredLog {
  const lines: NmiLogLine[] = [];
  let scanned = 0;
  for (const raw of text.split("\n")) {
    const trimmed = raw.trim();
    if (!trimmed.startsWith("{")) continue;
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch {
      continue;
    }
    const parsed = LineSchema.safeParse(json);
    if (!parsed.success) continue;
    scanned++;
    const l = parsed.data;
    if (l.pod !== target.pod || l.namespace !== target.namespace) continue;
    lines.push({
      time: timeOf(l.time),
      level: typeof l.level === "number" ? (LEVELS[l.level] ?? String(l.level)) : (l.level ?? "info"),
      msg: l.msg ?? "",
      status: l.status,
      outcome: l.outcome,
      reason: l.reason,
      code: l.code,
      identity: l.identity,
      clientId: l.clientId,
      durationMs: l.durationMs,
    });
  }
  return { scanned, lines: lines.slice(-limit) };
}

function timeOf(t: number | string | undefined): string | undefined {
  if (t === undefined) return undefined;
  if (typeof t === "string") return t;
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}
