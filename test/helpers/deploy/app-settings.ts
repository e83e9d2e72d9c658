// The app settings the function app (the MIC) reads, collected from its code and host.json, so
// the Bicep check follows the app as it changes.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { REPO } from "./config-names.ts";

export interface SettingUse { name: string; where: string; kind: "setting" | "connection" }

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) tsFiles(p, out);
    else if (name.endsWith(".ts") && !name.endsWith(".test.ts") && !name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

const SETTING_NAME = /^(?:PODID_[A-Z0-9_]+|AzureWebJobs[A-Za-z0-9_]+|APPLICATIONINSIGHTS_[A-Z_]+|[A-Za-z][A-Za-z0-9]*Connection)$/;

/**
 * - `process.env.X` / `process.env["X"]` anywhere in functions/;
 * - object keys and string literals that look like setting names in the settings module(s)
 *   (`functions/**\/settings*.ts` and `local.settings.sample.json`'s Values);
 * - `%X%` in host.json (the host resolves them from app settings);
 * - `connection: "X"` in bindings and `connectionName` in host.json (X, or X__* for identity).
 */
export function functionAppSettingUses(root = REPO): SettingUse[] {
  const uses: SettingUse[] = [];
  const add = (name: string, where: string, kind: SettingUse["kind"] = "setting") => uses.push({ name, where, kind });
  for (const f of tsFiles(join(root, "functions"))) {
    const src = readFileSync(f, "utf8");
    const where = relative(root, f);
    for (const m of src.matchAll(/process\.env(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*["'`]([^"'`]+)["'`]\s*\])/g)) add(m[1] ?? m[2] ?? "", where);
    for (const m of src.matchAll(/\bconnection\s*:\s*["'`]([A-Za-z][A-Za-z0-9_]*)["'`]/g)) add(m[1] ?? "", where, "connection");
    if (/(^|\/)settings[^/]*\.ts$/.test(where)) {
      for (const m of src.matchAll(/(?:^|[\s{,])["'`]?([A-Za-z][A-Za-z0-9_]*)["'`]?\s*:/gm)) if (SETTING_NAME.test(m[1] ?? "")) add(m[1] ?? "", where);
      // Error codes (`code = "PODID_…"`) look like setting names but are not read from the environment.
      for (const m of src.matchAll(/(\bcode\s*[=:]\s*)?["'`]([A-Za-z][A-Za-z0-9_]*)["'`]/g)) {
        const name = m[2] ?? "";
        if (m[1] === undefined && SETTING_NAME.test(name) && /^(PODID_|AzureWebJobs|APPLICATIONINSIGHTS_)/.test(name)) add(name, where);
      }
    }
  }
  const host = readFileSync(join(root, "host.json"), "utf8");
  for (const m of host.matchAll(/%([A-Za-z0-9_]+)%/g)) add(m[1] ?? "", "host.json");
  for (const m of host.matchAll(/"connection(?:String)?Name"\s*:\s*"([^"]+)"/g)) add(m[1] ?? "", "host.json", "connection");
  add("AzureWebJobsStorage", "Functions host (always)", "connection");
  return uses;
}

/** Whether `settings` (app setting names) provide `use`. */
export function provides(settings: Iterable<string>, use: SettingUse): boolean {
  const names = [...settings];
  if (names.includes(use.name)) return true;
  // A connection (or any setting used as one) may be identity-based: <name>__fullyQualifiedNamespace, <name>__accountName, ...
  return names.some((n) => n.startsWith(`${use.name}__`));
}
