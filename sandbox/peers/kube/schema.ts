// Minimal structural-schema handling for CRD objects, in the real server's order: drop nulls
// where not nullable, prune fields the schema does not know (unless preserved), then check
// types, required fields and enums. Enough for clients to see the same 422s and pruning.
import type { StatusCause } from "./status.ts";
import type { Json, JsonObject } from "./types.ts";

export interface SchemaResult { value: JsonObject; causes: StatusCause[]; pruned: string[] }

const isObject = (v: Json | undefined): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

function typeOf(v: Json): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function typeMatches(want: string, v: Json): boolean {
  const got = typeOf(v);
  return got === want || (want === "number" && got === "integer");
}

function walk(schema: JsonObject, v: Json, path: string, r: SchemaResult): Json {
  const want = typeof schema.type === "string" ? schema.type : undefined;
  if (schema["x-kubernetes-int-or-string"] === true) {
    if (typeof v !== "string" && !Number.isInteger(v)) {
      r.causes.push({ reason: "FieldValueTypeInvalid", field: path, message: `Invalid value: "${typeOf(v)}": ${path} in body must be of type integer-or-string: "${typeOf(v)}"` });
    }
    return v;
  }
  if (want && !typeMatches(want, v)) {
    r.causes.push({ reason: "FieldValueTypeInvalid", field: path, message: `Invalid value: "${typeOf(v)}": ${path} in body must be of type ${want}: "${typeOf(v)}"` });
    return v;
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) {
    const supported = schema.enum.map((e) => JSON.stringify(e)).join(", ");
    r.causes.push({ reason: "FieldValueNotSupported", field: path, message: `Unsupported value: ${JSON.stringify(v)}: supported values: ${supported}` });
  }
  if (Array.isArray(v)) {
    const items = isObject(schema.items) ? schema.items : undefined;
    return items ? v.filter((x) => x !== null || items.nullable === true).map((x, i) => walk(items, x, `${path}[${i}]`, r)) : v;
  }
  if (isObject(v)) return walkObject(schema, v, path, r);
  return v;
}

function walkObject(schema: JsonObject, v: JsonObject, path: string, r: SchemaResult, root = false): JsonObject {
  const props = isObject(schema.properties) ? schema.properties : {};
  const extra = isObject(schema.additionalProperties) ? schema.additionalProperties : undefined;
  const preserve = schema["x-kubernetes-preserve-unknown-fields"] === true || schema.additionalProperties === true;
  const out: JsonObject = {};
  for (const [k, val] of Object.entries(v)) {
    const p = path === "" ? k : `${path}.${k}`;
    if (root && (k === "apiVersion" || k === "kind" || k === "metadata")) { out[k] = val; continue; }
    const sub = isObject(props[k]) ? props[k] : extra;
    if (sub) {
      if (val === null && sub.nullable !== true) continue;
      out[k] = walk(sub, val, p, r);
    } else if (preserve) {
      out[k] = val;
    } else {
      r.pruned.push(p);
    }
  }
  if (Array.isArray(schema.required)) {
    for (const k of schema.required) {
      if (typeof k === "string" && !(k in out)) {
        r.causes.push({ reason: "FieldValueRequired", field: path === "" ? k : `${path}.${k}`, message: "Required value" });
      }
    }
  }
  return out;
}

/** Validates and prunes a whole object against a CRD version's openAPIV3Schema. */
export function applySchema(schema: JsonObject, obj: JsonObject): SchemaResult {
  const r: SchemaResult = { value: obj, causes: [], pruned: [] };
  r.value = walkObject(schema, obj, "", r, true);
  return r;
}
