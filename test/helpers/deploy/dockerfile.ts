// Reads what the static image checks need from a Dockerfile, and the import graph of an entry
// point (which folders and which npm packages the image must contain).
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

export interface Stage { from: string; name?: string; lines: string[] }

export function dockerStages(text: string): Stage[] {
  const stages: Stage[] = [];
  // Join continuation lines, drop comments.
  const lines = text.replace(/\\\n/g, " ").split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  for (const line of lines) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) { stages.push({ from: from[1] ?? "", ...(from[2] ? { name: from[2] } : {}), lines: [] }); continue; }
    const cur = stages.at(-1);
    if (!cur) throw new Error(`instruction before FROM: ${line}`);
    cur.lines.push(line);
  }
  return stages;
}

export function instruction(stage: Stage, name: string): string[] {
  return stage.lines.filter((l) => l.toUpperCase().startsWith(`${name} `)).map((l) => l.slice(name.length + 1).trim());
}

export interface ImportGraph { files: string[]; packages: string[] }

/** Every repo file reachable from `entry` through relative imports, and the packages they import. */
export function importGraph(repo: string, entry: string): ImportGraph {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const stack = [resolve(repo, entry)];
  while (stack.length > 0) {
    const file = stack.pop() ?? "";
    if (seen.has(file)) continue;
    seen.add(file);
    const src = readFileSync(file, "utf8");
    for (const m of src.matchAll(/(?:^|\n)\s*(import|export)\s+(type\s+)?[^;]*?\bfrom\s+["']([^"']+)["']|(?:^|\n)\s*import\s+["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g)) {
      if (m[2]) continue; // `import type` is erased at compile time
      const spec = m[3] ?? m[4] ?? m[5] ?? "";
      if (spec.startsWith(".")) stack.push(resolve(dirname(file), spec));
      else if (!spec.startsWith("node:")) packages.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0] ?? spec);
    }
  }
  return { files: [...seen].map((f) => relative(repo, f)).sort(), packages: [...packages].sort() };
}

export function readDockerfile(repo: string, path: string): Stage[] {
  return dockerStages(readFileSync(join(repo, path), "utf8"));
}
