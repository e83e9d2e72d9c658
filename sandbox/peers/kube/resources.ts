// What the peer serves: built-in kinds the podid components use, plus every CRD (loaded from a
// folder at start or created through the API, like the real apiextensions server).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import type { Json, JsonObject, KubeObject, PrinterColumn, ResourceDef } from "./types.ts";

const AGE: PrinterColumn = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" };

/** Reads a dotted path such as `.spec.nodeName`; non-strings are JSON-encoded, missing is "". */
export function readPath(o: KubeObject | JsonObject, path: string): Json | undefined {
  let cur: Json | undefined = o as JsonObject;
  for (const k of path.split(".").filter((s) => s !== "")) {
    cur = typeof cur === "object" && cur !== null && !Array.isArray(cur) ? cur[k] : undefined;
  }
  return cur;
}

const field = (path: string) => (o: KubeObject): string => {
  const v = readPath(o, path);
  return v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v);
};

function builtin(d: Partial<ResourceDef> & Pick<ResourceDef, "plural" | "kind">): ResourceDef {
  return {
    group: "", version: "v1", singular: d.kind.toLowerCase(), namespaced: true, shortNames: [], categories: [],
    statusSubresource: false, printerColumns: [AGE], fields: {}, crd: false, ...d,
  };
}

export const BUILTINS: ResourceDef[] = [
  builtin({ plural: "namespaces", kind: "Namespace", namespaced: false, shortNames: ["ns"], statusSubresource: true,
    fields: { "status.phase": field(".status.phase") },
    printerColumns: [{ name: "Status", type: "string", jsonPath: ".status.phase" }, AGE] }),
  builtin({ plural: "nodes", kind: "Node", namespaced: false, shortNames: ["no"], statusSubresource: true,
    fields: { "spec.unschedulable": (o) => String(readPath(o, ".spec.unschedulable") === true) },
    printerColumns: [{ name: "ProviderID", type: "string", jsonPath: ".spec.providerID", priority: 1 }, AGE] }),
  builtin({ plural: "pods", kind: "Pod", shortNames: ["po"], categories: ["all"], statusSubresource: true,
    fields: {
      "spec.nodeName": field(".spec.nodeName"), "spec.restartPolicy": field(".spec.restartPolicy"),
      "spec.schedulerName": field(".spec.schedulerName"), "spec.serviceAccountName": field(".spec.serviceAccountName"),
      "spec.hostNetwork": (o) => String(readPath(o, ".spec.hostNetwork") === true),
      "status.phase": field(".status.phase"), "status.podIP": field(".status.podIP"),
      "status.nominatedNodeName": field(".status.nominatedNodeName"),
    },
    printerColumns: [
      { name: "Status", type: "string", jsonPath: ".status.phase" },
      { name: "IP", type: "string", jsonPath: ".status.podIP" },
      { name: "Node", type: "string", jsonPath: ".spec.nodeName" }, AGE,
    ] }),
  builtin({ plural: "secrets", kind: "Secret", fields: { type: field(".type") },
    printerColumns: [{ name: "Type", type: "string", jsonPath: ".type" }, AGE] }),
  builtin({ plural: "configmaps", kind: "ConfigMap", shortNames: ["cm"] }),
  builtin({ group: "coordination.k8s.io", plural: "leases", kind: "Lease",
    printerColumns: [{ name: "Holder", type: "string", jsonPath: ".spec.holderIdentity" }, AGE] }),
  builtin({ group: "apiextensions.k8s.io", plural: "customresourcedefinitions", singular: "customresourcedefinition",
    kind: "CustomResourceDefinition", namespaced: false, shortNames: ["crd", "crds"], statusSubresource: true }),
];

const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);
/** A JSON scalar as text (objects JSON-encoded), for fields that should have been strings. */
export const text = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v) ?? "");
const strings = (v: Json | undefined): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

/** One ResourceDef per served version of a CRD; throws with a reason when the CRD is unusable. */
export function crdToDefs(crd: KubeObject): ResourceDef[] {
  const spec = isObject(crd.spec) ? crd.spec : {};
  const names = isObject(spec.names) ? spec.names : {};
  const { group } = spec;
  const { plural, kind } = names;
  if (typeof group !== "string" || typeof plural !== "string" || typeof kind !== "string") {
    throw new Error("spec.group, spec.names.plural and spec.names.kind are required");
  }
  if (crd.metadata.name !== `${plural}.${group}`) throw new Error(`metadata.name must be spec.names.plural+"."+spec.group`);
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isObject) : [];
  if (versions.length === 0) throw new Error("spec.versions must have at least one version");
  return versions.filter((v) => v.served !== false && typeof v.name === "string").map((v) => {
    const schema = isObject(v.schema) && isObject(v.schema.openAPIV3Schema) ? v.schema.openAPIV3Schema : undefined;
    const cols = Array.isArray(v.additionalPrinterColumns) ? v.additionalPrinterColumns.filter(isObject) : [];
    const def: ResourceDef = {
      group, version: text(v.name), plural, kind,
      singular: typeof names.singular === "string" ? names.singular : kind.toLowerCase(),
      namespaced: spec.scope !== "Cluster",
      shortNames: strings(names.shortNames), categories: strings(names.categories),
      statusSubresource: isObject(v.subresources) && isObject(v.subresources.status),
      printerColumns: cols.length > 0
        ? cols.map((c) => ({
          name: text(c.name), type: text(c.type), jsonPath: text(c.jsonPath),
          ...(typeof c.description === "string" ? { description: c.description } : {}),
          ...(typeof c.priority === "number" ? { priority: c.priority } : {}),
        }))
        : [AGE],
      fields: {}, crd: true,
    };
    if (schema) def.schema = schema;
    return def;
  });
}

/** Every CustomResourceDefinition document in the YAML/JSON files of a folder. */
export function loadCrdDir(dir: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const file of readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f)).sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), "utf8"))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message ?? "invalid YAML"}`);
      const o = doc.toJS() as Json;
      if (isObject(o) && o.kind === "CustomResourceDefinition" && isObject(o.metadata)) out.push(o as unknown as KubeObject);
    }
  }
  return out;
}

/** Served resources, looked up by group/version/plural or by a short or qualified name. */
export class Registry {
  private readonly defs = new Map<string, ResourceDef>();

  constructor() { for (const d of BUILTINS) this.add(d); }

  add(def: ResourceDef): void { this.defs.set(`${def.group}/${def.version}/${def.plural}`, def); }

  removeGroupResource(group: string, plural: string): void {
    for (const [k, d] of this.defs) if (d.group === group && d.plural === plural) this.defs.delete(k);
  }

  find(group: string, version: string, plural: string): ResourceDef | undefined {
    return this.defs.get(`${group}/${version}/${plural}`);
  }

  /** "pods", "azureidentities", "azureidentities.aadpodidentity.k8s.io", a kind or a short name. */
  byName(name: string): ResourceDef | undefined {
    const n = name.toLowerCase();
    return this.all().find((d) => d.plural === n || `${d.plural}.${d.group}` === n || d.kind.toLowerCase() === n || d.shortNames.includes(n));
  }

  all(): ResourceDef[] { return [...this.defs.values()]; }
}

/** Storage key of a resource: one keyspace per group-resource, shared by all its versions. */
export const storageKey = (def: Pick<ResourceDef, "group" | "plural">): string => `${def.group}/${def.plural}`;
