// The configuration names the components really read, collected from their config modules (so
// a renamed flag or variable breaks the manifest tests instead of silently being ignored).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CONFIG_SOURCES } from "../../../forwarder/config.ts";

export const REPO = join(import.meta.dirname, "..", "..", "..");

/** NMI env names: the `env: "…"` entries of nmi/config.ts's source table. */
export function nmiEnvNames(): Set<string> {
  const src = readFileSync(join(REPO, "nmi", "config.ts"), "utf8");
  const names = new Set([...src.matchAll(/\benv:\s*"([A-Z0-9_]+)"/g)].map((m) => m[1] ?? ""));
  if (names.size < 5 || !names.has("NODE_NAME")) throw new Error("could not collect NMI env names from nmi/config.ts");
  return names;
}

/** NMI flags (without `--`): the `flags: [...]` entries of nmi/config.ts. */
export function nmiFlagNames(): Set<string> {
  const src = readFileSync(join(REPO, "nmi", "config.ts"), "utf8");
  const out = new Set<string>();
  for (const m of src.matchAll(/\bflags:\s*\[([^\]]*)\]/g)) {
    for (const f of (m[1] ?? "").matchAll(/"([^"]+)"/g)) out.add(f[1] ?? "");
  }
  if (out.size < 5) throw new Error("could not collect NMI flags from nmi/config.ts");
  return out;
}

/** Forwarder env names: CONFIG_SOURCES plus the downward-API names config.ts falls back to. */
export function forwarderEnvNames(): Set<string> {
  const names = new Set(Object.values(CONFIG_SOURCES).map((s) => s.env));
  const src = readFileSync(join(REPO, "forwarder", "config.ts"), "utf8");
  for (const m of src.matchAll(/sources\.env\.([A-Z0-9_]+)/g)) names.add(m[1] ?? "");
  return names;
}
