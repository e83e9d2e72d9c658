// The resource verbs over HTTP: get/list (selectors, paging, resourceVersion rules, Tables),
// watch, create, update, patch (JSON, merge, strategic for built-ins, simplified apply) and
// delete/deletecollection, each delegating object rules to Writes.
import type { IncomingMessage, ServerResponse } from "node:http";
import { parse as parseYaml } from "yaml";
import { matcherFor } from "./filter.ts";
import { jsonPatch, mergePatch, PatchError, withoutDirectives } from "./patch.ts";
import { parseJson, readBody, mediaType, type RequestInfo } from "./request.ts";
import { storageKey, type Registry } from "./resources.ts";
import {
  badRequest, expired, invalid, KubeError, methodNotAllowed, noRoute, notFound, tooLargeResourceVersion, unsupportedMediaType,
} from "./status.ts";
import type { Store } from "./store.ts";
import { toTable, wantsTable } from "./table.ts";
import type { Json, JsonObject, KubeObject, ResourceDef } from "./types.ts";
import { apiVersionOf, asKubeObject, isObject } from "./validation.ts";
import type { WatchHub } from "./watch.ts";
import type { Writes } from "./writes.ts";

export interface Reply { status: number; body: JsonObject; warnings?: string[] }
export interface HandlerDeps { store: Store; registry: Registry; writes: Writes; hub: WatchHub }

const PATCH_TYPES = ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"];
const asJson = (o: KubeObject): JsonObject => o as unknown as JsonObject;

function resolve(deps: HandlerDeps, info: RequestInfo): ResourceDef {
  const def = deps.registry.find(info.group, info.version, info.resource);
  if (!def || info.tooDeep) throw noRoute();
  if (!def.namespaced && info.namespace !== "" && info.resource !== "namespaces") throw noRoute();
  if (info.subresource !== "" && !(info.subresource === "status" && def.statusSubresource)) throw noRoute();
  return def;
}

/** Serves a resource request; returns undefined when it streamed the response itself. */
export async function handleResource(deps: HandlerDeps, info: RequestInfo, req: IncomingMessage, res: ServerResponse): Promise<Reply | undefined> {
  const def = resolve(deps, info);
  const ns = def.namespaced ? info.namespace : "";
  const q = info.query;
  const table = wantsTable(req.headers.accept);
  const key = storageKey(def);
  const opts = { dryRun: q.getAll("dryRun").includes("All"), fieldValidation: q.get("fieldValidation") };
  const needNamespace = (): void => { if (def.namespaced && ns === "") throw methodNotAllowed(); };
  switch (info.verb) {
    case "get": {
      const o = deps.store.get(key, def.namespaced ? ns : undefined, info.name);
      if (!o) throw notFound(def, info.name);
      return { status: 200, body: table ? toTable(def, [o], o.metadata.resourceVersion ?? "", q.get("includeObject")) : asJson(o) };
    }
    case "list": return { status: 200, body: list(deps, def, ns, q, table) };
    case "watch": {
      const render = table ? (o: KubeObject): JsonObject => toTable(def, [o], o.metadata.resourceVersion ?? "", q.get("includeObject")) : asJson;
      // A watch on a named object is a watch on the collection filtered by name.
      if (info.name !== "") q.set("fieldSelector", [q.get("fieldSelector"), `metadata.name=${info.name}`].filter(Boolean).join(","));
      const err = deps.hub.serve({ def, key, namespace: ns === "" ? undefined : ns, matches: matcherFor(def, q), query: q, render }, res);
      if (err) throw err;
      return undefined;
    }
    case "create": {
      if (info.name !== "") throw methodNotAllowed();
      needNamespace();
      const r = deps.writes.create(def, ns, asKubeObject(def, parseJson(await readBody(req))), opts);
      return { status: 201, body: asJson(r.object), warnings: r.warnings };
    }
    case "update": {
      if (info.name === "") throw methodNotAllowed();
      const r = deps.writes.update(def, ns, info.name, asKubeObject(def, parseJson(await readBody(req))), info.subresource, opts);
      return { status: r.created ? 201 : 200, body: asJson(r.object), warnings: r.warnings };
    }
    case "patch": {
      if (info.name === "") throw methodNotAllowed();
      return patch(deps, def, ns, info, mediaType(req.headers["content-type"]), await readBody(req), opts);
    }
    case "delete": {
      const text = await readBody(req);
      const options = text.trim() === "" ? {} : parseJson(text);
      return { status: 200, body: asJson(deps.writes.delete(def, ns, info.name, isObject(options) ? options : {}, opts.dryRun)) };
    }
    case "deletecollection": {
      const matches = matcherFor(def, q);
      const gone = deps.store.list(key, ns === "" ? undefined : ns).filter(matches)
        .map((o) => deps.writes.delete(def, o.metadata.namespace ?? "", o.metadata.name, {}, opts.dryRun));
      return { status: 200, body: listBody(def, String(deps.store.currentRv()), gone) };
    }
    default: throw methodNotAllowed();
  }
}

function listBody(def: ResourceDef, resourceVersion: string, items: KubeObject[], extra: JsonObject = {}): JsonObject {
  // Built-in lists carry items without apiVersion/kind, CRD lists with them (as the server does).
  const shown = items.map((o) => {
    if (def.crd) return asJson(o);
    const { apiVersion: _a, kind: _k, ...rest } = o;
    return rest as unknown as JsonObject;
  });
  return { kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata: { resourceVersion, ...extra }, items: shown };
}

interface ContinueToken { rv: number; start: string }

function list(deps: HandlerDeps, def: ResourceDef, ns: string, q: URLSearchParams, table: boolean): JsonObject {
  const current = deps.store.currentRv();
  const rvParam = q.get("resourceVersion") ?? "";
  const limit = Number(q.get("limit") ?? "0");
  const cont = q.get("continue") ?? "";
  if (rvParam !== "" && !/^\d+$/.test(rvParam)) throw badRequest(`resourceVersion: Invalid value: "${rvParam}": must be a valid resourceVersion`);
  const rv = Number(rvParam);
  if (rvParam !== "" && rv > current) throw tooLargeResourceVersion(rvParam, current);
  // Exact reads (and paged reads at a given version) come from etcd, which has compacted them.
  const exact = q.get("resourceVersionMatch") === "Exact" || (limit > 0 && rvParam !== "" && rvParam !== "0");
  if (exact && rv < deps.store.compactedAt()) throw expired(`too old resource version: ${rvParam} (${deps.store.compactedAt()})`);
  let token: ContinueToken | undefined;
  if (cont !== "") {
    try {
      token = JSON.parse(Buffer.from(cont, "base64").toString("utf8")) as ContinueToken;
    } catch {
      throw badRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
    }
    if (token.rv < deps.store.compactedAt()) {
      throw expired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.");
    }
  }
  const matches = matcherFor(def, q);
  let items = deps.store.list(storageKey(def), ns === "" ? undefined : ns).filter(matches);
  const keyOf = (o: KubeObject): string => `${o.metadata.namespace ?? ""}/${o.metadata.name}`;
  if (token) { const start = token.start; items = items.filter((o) => keyOf(o) > start); }
  const listRv = String(token?.rv ?? current);
  const extra: JsonObject = {};
  if (limit > 0 && items.length > limit) {
    const last = items[limit - 1];
    extra.continue = Buffer.from(JSON.stringify({ rv: Number(listRv), start: last ? keyOf(last) : "" })).toString("base64");
    extra.remainingItemCount = items.length - limit;
    items = items.slice(0, limit);
  }
  return table ? toTable(def, items, listRv, q.get("includeObject")) : listBody(def, listRv, items, extra);
}

async function patch(deps: HandlerDeps, def: ResourceDef, ns: string, info: RequestInfo, type: string, text: string,
  opts: { dryRun: boolean; fieldValidation: string | null }): Promise<Reply> {
  const old = deps.store.get(storageKey(def), def.namespaced ? ns : undefined, info.name);
  let patched: Json;
  try {
    switch (type) {
      case "application/json-patch+json":
        if (!old) throw notFound(def, info.name);
        patched = jsonPatch(old as unknown as Json, parseJson(text));
        break;
      case "application/strategic-merge-patch+json":
        // Custom resources have no Go struct tags to merge by: the real server refuses SMP.
        // Built-ins get merge semantics (list merge keys are not modelled).
        if (def.crd) throw unsupportedMediaType(type, PATCH_TYPES);
        if (!old) throw notFound(def, info.name);
        patched = mergePatch(old as unknown as Json, withoutDirectives(parseJson(text)));
        break;
      case "application/merge-patch+json":
        if (!old) throw notFound(def, info.name);
        patched = mergePatch(old as unknown as Json, parseJson(text));
        break;
      case "application/apply-patch+yaml": {
        if (!info.query.get("fieldManager")) {
          throw invalid({ kind: "PatchOptions", group: "meta.k8s.io" }, "", [{ reason: "FieldValueRequired", field: "fieldManager", message: "Required value: is required for apply patch" }]);
        }
        const applied = parseYaml(text) as Json;
        if (!old) {
          const r = deps.writes.create(def, ns, asKubeObject(def, applied), opts);
          return { status: 201, body: asJson(r.object), warnings: r.warnings };
        }
        patched = mergePatch(old as unknown as Json, applied);
        break;
      }
      default:
        throw unsupportedMediaType(type, [...PATCH_TYPES, ...(def.crd ? [] : ["application/strategic-merge-patch+json"])]);
    }
  } catch (err) {
    if (!(err instanceof PatchError)) throw err;
    throw new KubeError(422, "Invalid", "the server rejected our request due to an error in our request",
      { causes: [{ reason: "UnexpectedServerResponse", message: err.message }] });
  }
  const r = deps.writes.update(def, ns, info.name, asKubeObject(def, patched), info.subresource, opts);
  return { status: 200, body: asJson(r.object), warnings: r.warnings };
}
