// Top-level declarations of a Bicep file, and literal values of object/array expressions — just
// enough structure for the static checks in test/unit/deploy/bicep-*.test.ts.
import { readFileSync } from "node:fs";
import { BicepSyntaxError, render, tokenize, type Token } from "./bicep-lexer.ts";

export interface Decorator { name: string; args: Token[] }
export interface Declaration {
  keyword: string;
  name: string;
  decorators: Decorator[];
  /** param/output: the type; resource: type string (+ `existing`); module: path. */
  head: Token[];
  /** Tokens after the top-level `=` (empty for a param without default). */
  value: Token[];
  line: number;
}
export interface BicepFile { path: string; tokens: Token[]; declarations: Declaration[] }

/** An expression that is not a plain literal, e.g. `a.b`, `cond ? x : y`, `union({...}, p)`. */
export class Expr {
  readonly #nominal = true;
  constructor(readonly text: string, readonly tokens: Token[]) {}
  get nominal(): boolean { return this.#nominal; }
}
/** `[for <head>: <body>]`. */
export class ForLoop {
  readonly #nominal = true;
  constructor(readonly head: string, readonly body: Value) {}
  get nominal(): boolean { return this.#nominal; }
}
/** `if (<condition>) <body>`. */
export class Conditional {
  readonly #nominal = true;
  constructor(readonly condition: string, readonly body: Value) {}
  get nominal(): boolean { return this.#nominal; }
}
export interface ObjectValue { [key: string]: Value }
export type Value = string | number | boolean | null | Value[] | ObjectValue | Expr | ForLoop | Conditional;

const KEYWORDS = new Set(["param", "var", "resource", "module", "output", "type", "import", "targetScope", "func", "metadata"]);
const OPEN: Record<string, string> = { "{": "}", "[": "]", "(": ")" };

/** Splits tokens at depth-0 newlines. */
function statements(tokens: Token[]): Token[][] {
  const out: Token[][] = [];
  let cur: Token[] = [];
  let depth = 0;
  for (const t of tokens) {
    if (t.kind === "punct" && t.text in OPEN) depth++;
    if (t.kind === "punct" && Object.values(OPEN).includes(t.text)) depth--;
    if (t.kind === "newline" && depth === 0) {
      if (cur.length > 0) out.push(cur);
      cur = [];
      continue;
    }
    cur.push(t);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

function topLevelEquals(tokens: Token[]): number {
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t?.kind !== "punct") continue;
    if (t.text in OPEN) depth++;
    else if (Object.values(OPEN).includes(t.text)) depth--;
    else if (t.text === "=" && depth === 0) return i;
  }
  return -1;
}

export function parseBicep(path: string, src = readFileSync(path, "utf8")): BicepFile {
  const tokens = tokenize(src);
  const declarations: Declaration[] = [];
  let pending: Decorator[] = [];
  for (const st of statements(tokens)) {
    const first = st[0];
    if (!first) continue;
    if (first.kind === "punct" && first.text === "@") {
      const name = st[1];
      if (name?.kind !== "ident") throw new BicepSyntaxError(`${path}:${first.line}: bad decorator`);
      pending.push({ name: name.text, args: st.slice(3, -1) });
      continue;
    }
    if (first.kind !== "ident" || !KEYWORDS.has(first.text)) throw new BicepSyntaxError(`${path}:${first.line}: unexpected '${first.text}' at top level`);
    const keyword = first.text;
    const eq = topLevelEquals(st);
    const before = eq === -1 ? st.slice(1) : st.slice(1, eq);
    const value = eq === -1 ? [] : st.slice(eq + 1);
    let name: string;
    let head: Token[];
    if (keyword === "import") { name = "import"; head = before; }
    else if (keyword === "targetScope") { name = "targetScope"; head = []; }
    else {
      const n = before[0];
      if (n?.kind !== "ident") throw new BicepSyntaxError(`${path}:${first.line}: ${keyword} without a name`);
      name = n.text;
      head = before.slice(1);
    }
    declarations.push({ keyword, name, decorators: pending, head, value, line: first.line });
    pending = [];
  }
  if (pending.length > 0) throw new BicepSyntaxError(`${path}: decorator without a declaration`);
  return { path, tokens, declarations };
}

// ---------- values ----------

class Cursor {
  i = 0;
  constructor(readonly t: Token[]) {}
  peek(): Token | undefined { return this.t[this.i]; }
  next(): Token | undefined { return this.t[this.i++]; }
  skipNewlines(): void { while (this.peek()?.kind === "newline") this.i++; }
  is(text: string): boolean { const p = this.peek(); return p !== undefined && p.kind !== "string" && p.text === text; }
}

/** Tokens of one expression: up to a depth-0 newline, `,`, or the container's closer. */
function expression(c: Cursor, closer: string | undefined): Token[] {
  const out: Token[] = [];
  let depth = 0;
  for (let t = c.peek(); t !== undefined; t = c.peek()) {
    if (depth === 0 && (t.kind === "newline" || (t.kind === "punct" && (t.text === "," || t.text === closer)))) break;
    if (t.kind === "punct" && t.text in OPEN) depth++;
    if (t.kind === "punct" && Object.values(OPEN).includes(t.text)) depth--;
    out.push(t);
    c.i++;
  }
  return out;
}

function value(c: Cursor, closer: string | undefined): Value {
  c.skipNewlines();
  const t = c.peek();
  if (t === undefined) throw new BicepSyntaxError("expected a value");
  const start = c.i;
  if (t.kind === "ident" && t.text === "if" && c.t[c.i + 1]?.text === "(") {
    c.i++;
    const cond: Token[] = [];
    let depth = 0; // the parenthesised condition
    do {
      const x = c.next();
      if (x === undefined) throw new BicepSyntaxError("unterminated if condition");
      if (x.text === "(") depth++;
      if (x.text === ")") depth--;
      cond.push(x);
    } while (depth > 0);
    return new Conditional(render(cond.slice(1, -1)), value(c, closer));
  }
  let v: Value | undefined;
  if (t.kind === "punct" && t.text === "{") v = objectValue(c);
  else if (t.kind === "punct" && t.text === "[") v = arrayValue(c);
  else if (t.kind === "string" && t.interpolations.length === 0) { c.i++; v = t.text; }
  else if (t.kind === "number") { c.i++; v = Number(t.text); }
  else if (t.kind === "ident" && ["true", "false", "null"].includes(t.text)) { c.i++; v = t.text === "null" ? null : t.text === "true"; }
  const after = c.peek();
  const ends = after === undefined || after.kind === "newline" || (after.kind === "punct" && (after.text === "," || after.text === closer));
  if (v !== undefined && ends) return v;
  c.i = start; // not a plain literal (e.g. `a.b`, `cond ? x : y`, `union({...}, p)`)
  const tokens = expression(c, closer);
  return new Expr(render(tokens), tokens);
}

function objectValue(c: Cursor): ObjectValue {
  c.next(); // {
  const out: ObjectValue = {};
  for (;;) {
    c.skipNewlines();
    if (c.is("}")) { c.next(); return out; }
    if (c.is(",")) { c.next(); continue; }
    const k = c.next();
    if (k === undefined || (k.kind !== "ident" && k.kind !== "string")) throw new BicepSyntaxError(`line ${k?.line ?? "?"}: expected a property name`);
    if (!c.is(":")) throw new BicepSyntaxError(`line ${k.line}: expected ':' after ${k.text}`);
    c.next();
    out[k.text] = value(c, "}");
  }
}

function arrayValue(c: Cursor): Value {
  c.next(); // [
  c.skipNewlines();
  if (c.peek()?.kind === "ident" && c.peek()?.text === "for") {
    const head: Token[] = [];
    let depth = 0;
    for (let t = c.next(); t !== undefined; t = c.next()) {
      if (t.kind === "punct" && t.text in OPEN) depth++;
      if (t.kind === "punct" && Object.values(OPEN).includes(t.text)) depth--;
      if (depth === 0 && t.text === ":") break;
      head.push(t);
    }
    const body = value(c, "]");
    c.skipNewlines();
    if (!c.is("]")) throw new BicepSyntaxError("expected ']' after a for body");
    c.next();
    return new ForLoop(render(head), body);
  }
  const out: Value[] = [];
  for (;;) {
    c.skipNewlines();
    if (c.is("]")) { c.next(); return out; }
    if (c.is(",")) { c.next(); continue; }
    out.push(value(c, "]"));
  }
}

/** The literal structure of an expression (objects, arrays, plain literals; the rest as Expr). */
export function parseValue(tokens: Token[]): Value {
  const c = new Cursor(tokens);
  const v = value(c, undefined);
  c.skipNewlines();
  if (c.peek() !== undefined) return new Expr(render(tokens), tokens);
  return v;
}

export function isObjectValue(v: Value | undefined): v is ObjectValue {
  return typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

/** Text of an expression value; JSON for literals (for messages and comparisons). */
export function exprText(v: Value | undefined): string {
  return v instanceof Expr ? v.text : JSON.stringify(v);
}

/** Body of a resource/module value, looking through `if (...)` and `[for ...: ...]`. */
export function bodyOf(v: Value): ObjectValue {
  if (isObjectValue(v)) return v;
  if (v instanceof Conditional || v instanceof ForLoop) return bodyOf(v.body);
  throw new Error(`not an object body: ${JSON.stringify(v)}`);
}

/** The first `{...}` object literal inside an expression (e.g. the settings in `union({...}, extra)`). */
export function firstObjectIn(tokens: Token[]): ObjectValue | undefined {
  const start = tokens.findIndex((t) => t.kind === "punct" && t.text === "{");
  if (start === -1) return undefined;
  let depth = 0;
  for (let i = start; i < tokens.length; i++) {
    const t = tokens[i];
    if (t?.kind === "punct" && t.text === "{") depth++;
    if (t?.kind === "punct" && t.text === "}" && --depth === 0) {
      const v = parseValue(tokens.slice(start, i + 1));
      return isObjectValue(v) ? v : undefined;
    }
  }
  return undefined;
}

export function decorator(d: Declaration, name: string): Decorator | undefined {
  return d.decorators.find((x) => x.name === name);
}

export function stringHead(d: Declaration): string | undefined {
  const t = d.head[0];
  return t?.kind === "string" ? t.text : undefined;
}
