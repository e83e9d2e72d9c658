// Validates manifests against the Kubernetes API schema as generated into
// @kubernetes/client-node (OpenAPI v1.34 models): every field must exist in its model (like the
// API server's strict field validation), values must have the model's type, and the fields the
// model declares required (non-optional in its .d.ts) must be present.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as k8s from "@kubernetes/client-node";

interface Attribute { name: string; baseName: string; type: string; format: string }
interface Model { getAttributeTypeMap(): Attribute[] }

/** apiVersion/kind → client-node model name, for every kind podid's manifests may contain. */
export const KNOWN_KINDS: Record<string, string> = {
  "v1/Namespace": "V1Namespace",
  "v1/ServiceAccount": "V1ServiceAccount",
  "v1/Secret": "V1Secret",
  "v1/ConfigMap": "V1ConfigMap",
  "rbac.authorization.k8s.io/v1/ClusterRole": "V1ClusterRole",
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": "V1ClusterRoleBinding",
  "rbac.authorization.k8s.io/v1/Role": "V1Role",
  "rbac.authorization.k8s.io/v1/RoleBinding": "V1RoleBinding",
  "apps/v1/Deployment": "V1Deployment",
  "apps/v1/DaemonSet": "V1DaemonSet",
  "policy/v1/PodDisruptionBudget": "V1PodDisruptionBudget",
  "apiextensions.k8s.io/v1/CustomResourceDefinition": "V1CustomResourceDefinition",
};

const modelsDir = join(dirname(createRequire(import.meta.url).resolve("@kubernetes/client-node")), "gen", "models");
const registry = k8s as unknown as Record<string, unknown>;
const requiredCache = new Map<string, Set<string>>();

function model(name: string): Model | undefined {
  const m = registry[name];
  return typeof m === "function" && "getAttributeTypeMap" in m ? (m as unknown as Model) : undefined;
}

/** JSON names of the fields a model requires, read from its generated declaration. */
function required(name: string, attrs: Attribute[]): Set<string> {
  let set = requiredCache.get(name);
  if (set) return set;
  const dts = readFileSync(join(modelsDir, `${name}.d.ts`), "utf8");
  const byProp = new Map(attrs.map((a) => [a.name, a.baseName]));
  set = new Set<string>();
  for (const m of dts.matchAll(/^\s+'([^']+)'(\?)?:/gm)) {
    const prop = m[1] ?? "";
    if (m[2] === undefined && byProp.has(prop)) set.add(byProp.get(prop) ?? prop);
  }
  requiredCache.set(name, set);
  return set;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function check(value: unknown, type: string, format: string, path: string, errors: string[]): void {
  const array = /^Array<(.+)>$/.exec(type);
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (type === "any") return;
  if (array?.[1] !== undefined) {
    if (!Array.isArray(value)) { errors.push(`${path}: expected an array`); return; }
    value.forEach((v, i) => check(v, array[1] ?? "any", format, `${path}[${i}]`, errors));
  } else if (map?.[1] !== undefined) {
    if (!isObject(value)) { errors.push(`${path}: expected a map`); return; }
    for (const [k, v] of Object.entries(value)) check(v, map[1], format, `${path}.${k}`, errors);
  } else if (type === "string" || type === "Date") {
    if (typeof value !== "string") errors.push(`${path}: expected a string, got ${JSON.stringify(value)}`);
  } else if (type === "number") {
    if (typeof value !== "number" || (format.startsWith("int") && !Number.isInteger(value))) errors.push(`${path}: expected a ${format || "number"}`);
  } else if (type === "boolean") {
    if (typeof value !== "boolean") errors.push(`${path}: expected a boolean`);
  } else if (type === "IntOrString") {
    if (typeof value !== "string" && !Number.isInteger(value)) errors.push(`${path}: expected an int or a string`);
  } else {
    validateModel(value, type, path, errors);
  }
}

function validateModel(value: unknown, name: string, path: string, errors: string[]): void {
  const m = model(name);
  if (!m) { errors.push(`${path}: no schema model ${name}`); return; }
  if (!isObject(value)) { errors.push(`${path}: expected an object (${name})`); return; }
  const attrs = m.getAttributeTypeMap();
  const byJson = new Map(attrs.map((a) => [a.baseName, a]));
  for (const [key, v] of Object.entries(value)) {
    const attr = byJson.get(key);
    if (!attr) { errors.push(`${path}.${key}: unknown field (not in ${name})`); continue; }
    check(v, attr.type, attr.format, `${path}.${key}`, errors);
  }
  for (const key of required(name, attrs)) {
    if (!(key in value)) errors.push(`${path}.${key}: required by ${name}`);
  }
}

/** Schema errors of one object (empty when valid); unknown apiVersion/kind is an error. */
export function validateObject(o: { apiVersion?: unknown; kind?: unknown }): string[] {
  const key = `${String(o.apiVersion)}/${String(o.kind)}`;
  const name = KNOWN_KINDS[key];
  if (name === undefined) return [`${key}: not a kind podid's manifests may contain`];
  const errors: string[] = [];
  validateModel(o, name, String(o.kind), errors);
  return errors;
}
