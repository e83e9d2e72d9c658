// Object lifecycle as the real registry implements it: create (generateName, uid, timestamps,
// generation), update with optimistic concurrency and status-subresource separation, no-op
// detection, finalizers and deletionTimestamp, namespace existence and termination, and CRDs
// that register their resources when created.
import { randomUUID } from "node:crypto";
import { crdToDefs, storageKey, text, type Registry } from "./resources.ts";
import { alreadyExists, badRequest, conflict, invalid, KubeError, notFound } from "./status.ts";
import type { Store } from "./store.ts";
import type { Json, JsonObject, KubeObject, ResourceDef } from "./types.ts";
import { admit, apiVersionOf, isObject } from "./validation.ts";

export const now = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
const NAMESPACES = { group: "", plural: "namespaces" };
const PROTECTED_NAMESPACES = ["default", "kube-system", "kube-public"];
const SUFFIX_CHARS = "bcdfghjklmnpqrstvwxz2456789";

export interface WriteOptions { dryRun?: boolean; fieldValidation?: string | null }
export interface WriteResult { object: KubeObject; warnings: string[]; created?: boolean }

/** Everything but metadata (and status, when it is a subresource): what bumps generation. */
function specPart(def: ResourceDef, o: KubeObject): string {
  const { metadata: _m, status, ...rest } = o;
  return JSON.stringify(def.statusSubresource ? rest : { ...rest, status });
}
const withoutRv = (o: KubeObject): string => JSON.stringify({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });

export class Writes {
  constructor(private readonly store: Store, private readonly registry: Registry) {}

  private nsCheck(def: ResourceDef, ns: string): void {
    if (!def.namespaced) return;
    const n = this.store.get("/namespaces", undefined, ns);
    if (!n) throw notFound(NAMESPACES, ns);
    if (n.metadata.deletionTimestamp) {
      throw new KubeError(403, "Forbidden", `${def.plural} "" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
        { name: "", kind: def.plural, causes: [{ reason: "NamespaceTerminating", message: `namespace ${ns} is being terminated`, field: "metadata.namespace" }] });
    }
  }

  private scope(def: ResourceDef, o: KubeObject, ns: string): void {
    if (!def.namespaced) { delete o.metadata.namespace; return; }
    if (o.metadata.namespace !== undefined && o.metadata.namespace !== "" && o.metadata.namespace !== ns) {
      throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    o.metadata.namespace = ns;
  }

  create(def: ResourceDef, ns: string, input: KubeObject, opts: WriteOptions = {}): WriteResult {
    const o: KubeObject = { ...structuredClone(input), apiVersion: apiVersionOf(def), kind: def.kind };
    this.scope(def, o, ns);
    this.nsCheck(def, ns);
    if (o.metadata.resourceVersion) throw new KubeError(500, "InternalError", "resourceVersion should not be set on objects to be created");
    if (!o.metadata.name && o.metadata.generateName) {
      o.metadata.name = o.metadata.generateName + Array.from({ length: 5 }, () => SUFFIX_CHARS[Math.floor(Math.random() * SUFFIX_CHARS.length)]).join("");
    }
    Object.assign(o.metadata, { uid: randomUUID(), creationTimestamp: now(), generation: 1 });
    delete o.metadata.deletionTimestamp;
    delete o.metadata.deletionGracePeriodSeconds;
    this.prepareForCreate(def, o);
    const { object, warnings } = admit(def, o, opts.fieldValidation ?? null);
    if (this.store.get(storageKey(def), object.metadata.namespace, object.metadata.name)) throw alreadyExists(def, object.metadata.name);
    if (def.plural === "customresourcedefinitions") this.registerCrd(object);
    if (opts.dryRun) return { object, warnings, created: true };
    return { object: this.store.write(storageKey(def), object), warnings, created: true };
  }

  /** The per-kind PrepareForCreate: status is the server's (or a controller's) to set. */
  private prepareForCreate(def: ResourceDef, o: KubeObject): void {
    if (def.crd && def.statusSubresource) delete o.status;
    if (def.group !== "") {
      if (def.plural === "customresourcedefinitions") {
        o.status = { conditions: [{ type: "Established", status: "True", reason: "InitialNamesAccepted", lastTransitionTime: now() }],
          acceptedNames: isObject(o.spec) && isObject(o.spec.names) ? o.spec.names : {}, storedVersions: [] };
      }
      return;
    }
    if (def.plural === "pods") o.status = { phase: "Pending", qosClass: "BestEffort" };
    if (def.plural === "namespaces") {
      o.spec = { finalizers: ["kubernetes"] };
      o.status = { phase: "Active" };
      o.metadata.labels = { ...o.metadata.labels, "kubernetes.io/metadata.name": o.metadata.name };
    }
    if (def.plural === "secrets") normaliseSecret(o);
  }

  private registerCrd(crd: KubeObject): void {
    let defs: ResourceDef[];
    try {
      defs = crdToDefs(crd);
    } catch (err) {
      throw invalid({ kind: "CustomResourceDefinition", group: "apiextensions.k8s.io" }, crd.metadata.name,
        [{ reason: "FieldValueInvalid", field: "spec", message: (err as Error).message }]);
    }
    const first = defs[0];
    if (first) this.registry.removeGroupResource(first.group, first.plural);
    for (const d of defs) this.registry.add(d);
  }

  /** PUT semantics; `sub` is "" or "status". `allowCreate` is the registry's AllowCreateOnUpdate. */
  update(def: ResourceDef, ns: string, name: string, input: KubeObject, sub: string, opts: WriteOptions = {}): WriteResult {
    const o: KubeObject = structuredClone(input);
    if (o.metadata.name !== undefined && o.metadata.name !== name) {
      throw badRequest(`the name of the object (${o.metadata.name}) does not match the name on the URL (${name})`);
    }
    o.metadata.name = name;
    this.scope(def, o, ns);
    const key = storageKey(def);
    const old = this.store.get(key, o.metadata.namespace, name);
    if (!old) {
      if (sub === "" && def.group === "coordination.k8s.io") {
        delete o.metadata.resourceVersion;
        return this.create(def, ns, o, opts);
      }
      throw notFound(def, name);
    }
    const rv = o.metadata.resourceVersion;
    if (rv === undefined || rv === "") {
      // Custom resources refuse unconditional updates (AllowUnconditionalUpdate is false).
      if (def.crd) throw invalid(def, name, [{ reason: "FieldValueInvalid", field: "metadata.resourceVersion", message: "Invalid value: 0x0: must be specified for an update" }]);
    } else if (rv !== old.metadata.resourceVersion) {
      throw conflict(def, name);
    }
    let next: KubeObject;
    if (sub === "status") {
      next = { ...structuredClone(old), status: o.status ?? null };
      if (o.status === undefined) delete next.status;
    } else {
      next = o;
      if (def.statusSubresource) { if (old.status === undefined) delete next.status; else next.status = structuredClone(old.status); }
      const { uid, creationTimestamp, deletionTimestamp, generation } = old.metadata;
      Object.assign(next.metadata, { uid, creationTimestamp, generation });
      if (deletionTimestamp) next.metadata.deletionTimestamp = deletionTimestamp; else delete next.metadata.deletionTimestamp;
      if (specPart(def, next) !== specPart(def, old)) next.metadata.generation = (generation ?? 0) + 1;
      if (def.group === "" && def.plural === "secrets") normaliseSecret(next);
      if (deletionTimestamp && (next.metadata.finalizers ?? []).some((f) => !(old.metadata.finalizers ?? []).includes(f))) {
        throw invalid(def, name, [{ reason: "FieldValueForbidden", field: "metadata.finalizers", message: "Forbidden: no new finalizers can be added if the object is being deleted" }]);
      }
    }
    if (old.metadata.resourceVersion) next.metadata.resourceVersion = old.metadata.resourceVersion;
    const { object, warnings } = admit(def, next, opts.fieldValidation ?? null);
    if (withoutRv(object) === withoutRv(old)) return { object: old, warnings };
    if (def.plural === "customresourcedefinitions") this.registerCrd(object);
    if (opts.dryRun) return { object, warnings };
    if (object.metadata.deletionTimestamp && (object.metadata.finalizers ?? []).length === 0) {
      // The last finalizer is gone from an object being deleted: it goes now.
      return { object: this.purge(def, object), warnings };
    }
    return { object: this.store.write(key, object), warnings };
  }

  /** DELETE: immediate without finalizers, otherwise sets deletionTimestamp and waits. */
  delete(def: ResourceDef, ns: string, name: string, options: JsonObject, dryRun = false): KubeObject {
    const key = storageKey(def);
    const old = this.store.get(key, def.namespaced ? ns : undefined, name);
    if (!old) throw notFound(def, name);
    const pre = isObject(options.preconditions) ? options.preconditions : {};
    for (const [field, actual] of [["uid", old.metadata.uid], ["resourceVersion", old.metadata.resourceVersion]] as const) {
      const want = pre[field];
      if (typeof want === "string" && want !== actual) {
        const label = field === "uid" ? "UID" : "ResourceVersion";
        throw conflict(def, name, `Precondition failed: ${label} in precondition: ${want}, ${label} in object meta: ${actual ?? ""}`);
      }
    }
    if (def.plural === "namespaces" && def.group === "" && PROTECTED_NAMESPACES.includes(name)) {
      throw new KubeError(403, "Forbidden", `namespaces "${name}" is forbidden: this namespace may not be deleted`, { name, kind: "namespaces" });
    }
    if (dryRun) return old;
    const pending = (old.metadata.finalizers ?? []).length > 0 || (def.plural === "namespaces" && def.group === "");
    if (!pending) return this.purge(def, old);
    if (old.metadata.deletionTimestamp) return old;
    const marked: KubeObject = structuredClone(old);
    Object.assign(marked.metadata, { deletionTimestamp: now(), deletionGracePeriodSeconds: 0 });
    if (def.plural === "namespaces" && def.group === "") return this.terminateNamespace(marked);
    return this.store.write(key, marked);
  }

  private purge(def: ResourceDef, o: KubeObject): KubeObject {
    const gone = this.store.remove(storageKey(def), o.metadata.namespace, o.metadata.name, o) ?? o;
    if (def.plural === "customresourcedefinitions") {
      for (const d of crdToDefsSafe(o)) { this.registry.removeGroupResource(d.group, d.plural); this.store.dropResource(storageKey(d)); }
    }
    const ns = o.metadata.namespace;
    if (ns) this.finishNamespace(ns);
    return gone;
  }

  /** The namespace controller's job, done inline: delete the contents, then the namespace. */
  private terminateNamespace(marked: KubeObject): KubeObject {
    marked.status = { ...(isObject(marked.status) ? marked.status : {}), phase: "Terminating" };
    const written = this.store.write("/namespaces", marked);
    for (const def of this.registry.all().filter((d) => d.namespaced)) {
      for (const o of this.store.list(storageKey(def), marked.metadata.name)) this.delete(def, marked.metadata.name, o.metadata.name, {});
    }
    return this.finishNamespace(marked.metadata.name) ?? written;
  }

  private finishNamespace(ns: string): KubeObject | undefined {
    const n = this.store.get("/namespaces", undefined, ns);
    if (!n?.metadata.deletionTimestamp) return undefined;
    const keys = new Set(this.registry.all().filter((d) => d.namespaced).map(storageKey));
    if ([...keys].some((k) => this.store.list(k, ns).length > 0)) return undefined;
    return this.store.remove("/namespaces", undefined, ns);
  }
}

function crdToDefsSafe(o: KubeObject): ResourceDef[] {
  try { return crdToDefs(o); } catch { return []; }
}

/** Secrets: `stringData` is write-only and merged into base64 `data`; type defaults to Opaque. */
function normaliseSecret(o: KubeObject): void {
  const data: Record<string, Json> = isObject(o.data) ? { ...o.data } : {};
  if (isObject(o.stringData)) {
    for (const [k, v] of Object.entries(o.stringData)) data[k] = Buffer.from(text(v)).toString("base64");
  }
  delete o.stringData;
  if (Object.keys(data).length > 0) o.data = data;
  o.type ??= "Opaque";
}
