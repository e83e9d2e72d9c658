// Loads bicep/ and answers the questions the static tests ask of it.
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { deepTokens, type Token } from "./bicep-lexer.ts";
import { bodyOf, parseBicep, parseValue, type BicepFile, type Declaration, type ObjectValue } from "./bicep-parse.ts";
import { REPO } from "./config-names.ts";

export const BICEP_DIR = join(REPO, "bicep");

export function bicepFiles(dir = BICEP_DIR, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) bicepFiles(p, out);
    else if (name.endsWith(".bicep")) out.push(p);
  }
  return out;
}

export function loadAll(): BicepFile[] {
  return bicepFiles().map((f) => parseBicep(f));
}

export const rel = (f: BicepFile): string => relative(REPO, f.path);

/** Tokens that *use* a symbol: not an object key (`name:` at the start of an entry), not `x.name`. */
export function references(file: BicepFile, name: string, except?: Declaration): number {
  let n = 0;
  for (const d of file.declarations) {
    if (d === except) continue;
    const toks: Token[] = [...deepTokens([...d.head, ...d.value, ...d.decorators.flatMap((x) => x.args)])];
    toks.forEach((t, i) => {
      if (t.kind !== "ident" || t.text !== name) return;
      const prev = toks[i - 1];
      const next = toks[i + 1];
      if (prev?.text === "." || prev?.text === ".?") return;
      const atEntryStart = prev === undefined || prev.kind === "newline" || prev.text === "{" || prev.text === ",";
      if (atEntryStart && next?.text === ":") return;
      n++;
    });
  }
  return n;
}

/** Declarations of a keyword. */
export const decls = (f: BicepFile, keyword: string): Declaration[] => f.declarations.filter((d) => d.keyword === keyword);

/** Resolved target of a module declaration or import, relative to its file. */
export function targetPath(f: BicepFile, d: Declaration): string {
  const tokens = d.keyword === "import" ? d.head.slice(d.head.findIndex((t) => t.text === "from") + 1) : d.head;
  const t = tokens[0];
  if (t?.kind !== "string") throw new Error(`${rel(f)}:${d.line}: ${d.keyword} without a path`);
  return resolve(dirname(f.path), t.text);
}

export const exists = (p: string): boolean => existsSync(p);

export function bodyValue(d: Declaration): ObjectValue {
  return bodyOf(parseValue(d.value));
}

export function file(all: BicepFile[], relPath: string): BicepFile {
  const f = all.find((x) => rel(x) === relPath);
  if (!f) throw new Error(`no ${relPath}`);
  return f;
}

export function declaration(f: BicepFile, name: string): Declaration {
  const d = f.declarations.find((x) => x.name === name && x.keyword !== "import");
  if (!d) throw new Error(`${rel(f)} declares no ${name}`);
  return d;
}
