// JSON merge patch (RFC 7386) and JSON patch (RFC 6902, all six ops including `test`).
import type { Json, JsonObject } from "./types.ts";

export class PatchError extends Error {}

const isObject = (v: Json | undefined): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);
const clone = <T extends Json>(v: T): T => structuredClone(v);

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k] ?? null, v);
  }
  return out;
}

/** Strategic-merge directives (`$patch`, `$setElementOrder/...`, `$retainKeys`, ...) are
 *  instructions, never data: dropped so they are not stored when SMP is applied as a merge. */
export function withoutDirectives(patch: Json): Json {
  if (Array.isArray(patch)) return patch.map(withoutDirectives);
  if (!isObject(patch)) return patch;
  return Object.fromEntries(Object.entries(patch).filter(([k]) => !k.startsWith("$")).map(([k, v]) => [k, withoutDirectives(v)]));
}

function parsePointer(p: string): string[] {
  if (p === "") return [];
  if (!p.startsWith("/")) throw new PatchError(`invalid JSON pointer "${p}"`);
  return p.slice(1).split("/").map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function arrayIndex(arr: Json[], tok: string, forAdd: boolean): number {
  if (forAdd && tok === "-") return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(tok)) throw new PatchError(`invalid array index "${tok}"`);
  const i = Number(tok);
  if (i > arr.length || (!forAdd && i === arr.length)) throw new PatchError(`array index ${i} out of bounds`);
  return i;
}

/** Resolves the parent container of a pointer (creating nothing) and the last token. */
function parent(doc: Json, path: string): { container: Json; key: string } {
  const toks = parsePointer(path);
  const key = toks.pop();
  if (key === undefined) throw new PatchError("cannot operate on the document root");
  let cur: Json = doc;
  for (const t of toks) {
    const next: Json | undefined = Array.isArray(cur) ? cur[arrayIndex(cur, t, false)] : isObject(cur) ? cur[t] : undefined;
    if (next === undefined) throw new PatchError(`path ${path}: missing ${t}`);
    cur = next;
  }
  return { container: cur, key };
}

function get(doc: Json, path: string): Json {
  if (path === "") return doc;
  const { container, key } = parent(doc, path);
  const v = Array.isArray(container) ? container[arrayIndex(container, key, false)] : isObject(container) ? container[key] : undefined;
  if (v === undefined) throw new PatchError(`path ${path} does not exist`);
  return v;
}

function remove(doc: Json, path: string): Json {
  const { container, key } = parent(doc, path);
  if (Array.isArray(container)) return container.splice(arrayIndex(container, key, false), 1)[0] ?? null;
  if (!isObject(container) || !(key in container)) throw new PatchError(`path ${path} does not exist`);
  const v = container[key] ?? null;
  delete container[key];
  return v;
}

function add(doc: Json, path: string, value: Json): void {
  const { container, key } = parent(doc, path);
  if (Array.isArray(container)) container.splice(arrayIndex(container, key, true), 0, value);
  else if (isObject(container)) container[key] = value;
  else throw new PatchError(`path ${path}: parent is not a container`);
}

const opSchema = (op: Json): { op: string; path: string; from?: string; value?: Json } => {
  if (!isObject(op) || typeof op.op !== "string" || typeof op.path !== "string") throw new PatchError("each operation needs string 'op' and 'path'");
  const r: { op: string; path: string; from?: string; value?: Json } = { op: op.op, path: op.path };
  if (typeof op.from === "string") r.from = op.from;
  if ("value" in op) r.value = op.value ?? null;
  return r;
};

/** Applies RFC 6902 operations to a copy of `doc`; throws PatchError on any failed op. */
export function jsonPatch(doc: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw new PatchError("a JSON patch must be an array of operations");
  let out = clone(doc);
  for (const raw of ops) {
    const op = opSchema(raw);
    const needValue = (): Json => {
      if (op.value === undefined) throw new PatchError(`'${op.op}' operation needs 'value'`);
      return clone(op.value);
    };
    const needFrom = (): string => {
      if (op.from === undefined) throw new PatchError(`'${op.op}' operation needs 'from'`);
      return op.from;
    };
    switch (op.op) {
      case "add": if (op.path === "") out = needValue(); else add(out, op.path, needValue()); break;
      case "remove": remove(out, op.path); break;
      case "replace": get(out, op.path); if (op.path === "") out = needValue(); else { remove(out, op.path); add(out, op.path, needValue()); } break;
      case "move": { const v = remove(out, needFrom()); add(out, op.path, v); break; }
      case "copy": add(out, op.path, clone(get(out, needFrom()))); break;
      case "test":
        if (JSON.stringify(canonical(get(out, op.path))) !== JSON.stringify(canonical(needValue()))) {
          throw new PatchError(`testing value ${op.path} failed`);
        }
        break;
      default: throw new PatchError(`unexpected operation "${op.op}"`);
    }
  }
  return out;
}

/** Key-order-independent form for `test` comparisons. */
function canonical(v: Json): Json {
  if (Array.isArray(v)) return v.map(canonical);
  if (!isObject(v)) return v;
  return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k] ?? null)]));
}
