// Turns labelSelector/fieldSelector query parameters into a predicate, with the real server's
// 400s for bad syntax and for fields a resource does not index.
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, SelectorError } from "./selectors.ts";
import { badRequest } from "./status.ts";
import type { KubeObject, ResourceDef } from "./types.ts";

export type Matcher = (o: KubeObject) => boolean;

export function fieldValue(def: ResourceDef, o: KubeObject, field: string): string {
  if (field === "metadata.name") return o.metadata.name;
  if (field === "metadata.namespace") return o.metadata.namespace ?? "";
  return def.fields[field]?.(o) ?? "";
}

export function matcherFor(def: ResourceDef, query: URLSearchParams): Matcher {
  try {
    const labels = parseLabelSelector(query.get("labelSelector") ?? "");
    const fields = parseFieldSelector(query.get("fieldSelector") ?? "");
    for (const f of fields) {
      if (f.field !== "metadata.name" && f.field !== "metadata.namespace" && !def.fields[f.field]) {
        throw badRequest(`field label not supported: ${f.field}`);
      }
    }
    return (o) => matchesLabels(labels, o.metadata.labels) && matchesFields(fields, (f) => fieldValue(def, o, f));
  } catch (err) {
    if (err instanceof SelectorError) throw badRequest(err.message);
    throw err;
  }
}
