// meta.k8s.io Table responses, which kubectl asks for (`Accept: ...;as=Table`) to print the
// columns a resource declares (CRD additionalPrinterColumns), with ages humanised server-side.
import { readPath } from "./resources.ts";
import type { Json, JsonObject, KubeObject, ResourceDef } from "./types.ts";

export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? "").split(",").some((a) => /;\s*as=Table/.test(a));
}

/** Like apimachinery's duration.HumanDuration. */
export function humanAge(sinceIso: string, nowMs = Date.now()): string {
  const s = Math.floor((nowMs - Date.parse(sinceIso)) / 1000);
  if (Number.isNaN(s)) return "<unknown>";
  if (s < -1) return "<invalid>";
  if (s < 0) return "0s";
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 192) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  return d < 730 ? `${d}d` : `${Math.floor(d / 365)}y${d % 365}d`;
}

function cell(o: KubeObject, type: string, jsonPath: string): Json {
  const v = readPath(o, jsonPath);
  if (v === undefined) return null;
  if (type === "date" && typeof v === "string") return humanAge(v);
  return v;
}

export function toTable(def: ResourceDef, items: KubeObject[], resourceVersion: string, includeObject: string | null): JsonObject {
  const cols = def.printerColumns;
  return {
    kind: "Table", apiVersion: "meta.k8s.io/v1", metadata: { resourceVersion },
    columnDefinitions: [
      { name: "Name", type: "string", format: "name", description: "Name must be unique within a namespace.", priority: 0 },
      ...cols.map((c) => ({ name: c.name, type: c.type === "date" ? "string" : c.type, format: "", description: c.description ?? "", priority: c.priority ?? 0 })),
    ],
    rows: items.map((o) => {
      const row: JsonObject = { cells: [o.metadata.name, ...cols.map((c) => cell(o, c.type, c.jsonPath))] };
      if (includeObject === "Object") row.object = o as unknown as JsonObject;
      else if (includeObject !== "None") row.object = { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: o.metadata as unknown as JsonObject };
      return row;
    }),
  };
}
