// Admission-time checks the real server makes on every write: metadata (name, labels), kind and
// apiVersion, CRD structural schemas, and the few built-in rules podid's objects touch.
import { labelKeyError, labelValueError } from "./selectors.ts";
import { text } from "./resources.ts";
import { applySchema } from "./schema.ts";
import { badRequest, invalid, type StatusCause } from "./status.ts";
import type { Json, JsonObject, KubeObject, ResourceDef } from "./types.ts";

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);
export const apiVersionOf = (def: ResourceDef): string => (def.group === "" ? def.version : `${def.group}/${def.version}`);

/** Checks the decoded body is an object of this resource's kind and fills in apiVersion/kind. */
export function asKubeObject(def: ResourceDef, body: Json): KubeObject {
  if (!isObject(body)) throw badRequest(`the object provided is not a ${def.kind}`);
  const o: JsonObject = { ...body };
  if (o.apiVersion !== undefined && o.apiVersion !== apiVersionOf(def)) {
    throw badRequest(`the API version in the data (${text(o.apiVersion)}) does not match the expected API version (${apiVersionOf(def)})`);
  }
  if (o.kind !== undefined && o.kind !== def.kind) {
    throw badRequest(`the kind in the data (${text(o.kind)}) does not match the expected kind (${def.kind})`);
  }
  o.apiVersion = apiVersionOf(def);
  o.kind = def.kind;
  if (o.metadata === undefined) o.metadata = {};
  if (!isObject(o.metadata)) throw badRequest("metadata must be an object");
  return o as unknown as KubeObject;
}

function metadataCauses(def: ResourceDef, o: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const { name, labels } = o.metadata;
  const label = def.plural === "namespaces";
  if (typeof name !== "string" || name === "") {
    causes.push({ reason: "FieldValueRequired", field: "metadata.name", message: "Required value: name or generateName is required" });
  } else if (label ? name.length > 63 || !LABEL.test(name) : name.length > 253 || !SUBDOMAIN.test(name)) {
    const what = label ? "RFC 1123 label" : "RFC 1123 subdomain";
    causes.push({ reason: "FieldValueInvalid", field: "metadata.name",
      message: `Invalid value: "${name}": a lowercase ${what} must consist of lower case alphanumeric characters, '-'${label ? "" : " or '.'"}, and must start and end with an alphanumeric character` });
  }
  for (const [k, v] of Object.entries(isObject(labels as Json) ? (labels as Record<string, Json>) : {})) {
    const ke = labelKeyError(k);
    if (ke) causes.push({ reason: "FieldValueInvalid", field: "metadata.labels", message: `Invalid value: "${k}": ${ke}` });
    const ve = typeof v === "string" ? labelValueError(v) : "must be a string";
    if (ve) causes.push({ reason: "FieldValueInvalid", field: "metadata.labels", message: `Invalid value: "${text(v)}": ${ve}` });
  }
  return causes;
}

/** Built-in rules that matter to podid's tests; the real server checks far more. */
function builtinCauses(def: ResourceDef, o: KubeObject): StatusCause[] {
  if (def.plural !== "pods" || def.group !== "") return [];
  const spec = isObject(o.spec) ? o.spec : {};
  const containers = Array.isArray(spec.containers) ? spec.containers : [];
  if (containers.length === 0) return [{ reason: "FieldValueRequired", field: "spec.containers", message: "Required value" }];
  return containers.flatMap((c, i) => (["name", "image"] as const)
    .filter((k) => !isObject(c) || typeof c[k] !== "string" || c[k] === "")
    .map((k) => ({ reason: "FieldValueRequired", field: `spec.containers[${i}].${k}`, message: "Required value" })));
}

export interface Admitted { object: KubeObject; warnings: string[] }

/** Validates (and for CRDs prunes) an object about to be stored; throws 422/400 like the server. */
export function admit(def: ResourceDef, o: KubeObject, fieldValidation: string | null): Admitted {
  let object = o;
  const warnings: string[] = [];
  const causes = [...metadataCauses(def, o), ...builtinCauses(def, o)];
  if (def.schema) {
    const r = applySchema(def.schema, o as unknown as JsonObject);
    causes.push(...r.causes);
    object = r.value as unknown as KubeObject;
    if (r.pruned.length > 0 && fieldValidation === "Strict") {
      throw badRequest(`strict decoding error: ${r.pruned.map((p) => `unknown field "${p}"`).join(", ")}`);
    }
    if (fieldValidation !== "Ignore") warnings.push(...r.pruned.map((p) => `unknown field "${p}"`));
  }
  if (causes.length > 0) throw invalid(def, o.metadata.name || o.metadata.generateName || "", causes);
  return { object, warnings };
}
