// The function app as Core Tools and the deployment see it: host.json (extension bundle,
// durable and Service Bus settings), package.json "main" pointing at the compiled registrations,
// .funcignore, and the rule that only functions/runtime.ts loads the Functions libraries.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";

const REPO = join(import.meta.dirname, "..", "..", "..");
const json = (p: string): Record<string, unknown> => JSON.parse(readFileSync(join(REPO, p), "utf8")) as Record<string, unknown>;
const obj = (v: unknown): Record<string, unknown> => {
  assert.ok(typeof v === "object" && v !== null && !Array.isArray(v), JSON.stringify(v));
  return v as Record<string, unknown>;
};

test("host.json: Functions 2.0 schema, extension bundle [4.*, 5.0.0), durable hub on AzureWebJobsStorage", () => {
  const host = json("host.json");
  assert.equal(host.version, "2.0");
  assert.deepEqual(host.extensionBundle, { id: "Microsoft.Azure.Functions.ExtensionBundle", version: "[4.*, 5.0.0)" });
  const durable = obj(obj(host.extensions).durableTask);
  assert.equal(durable.hubName, "%PODID_TASK_HUB%");
  const provider = obj(durable.storageProvider);
  assert.equal(provider.connectionName, "AzureWebJobsStorage");
  assert.ok(typeof durable.maxConcurrentActivityFunctions === "number" && durable.maxConcurrentActivityFunctions > 0);
});

test("host.json: Service Bus sessions processed one message at a time, lock renewal longer than an ingest", () => {
  const sb = obj(obj(json("host.json").extensions).serviceBus);
  assert.equal(sb.maxConcurrentCallsPerSession, 1, "session order = the single writer per cluster");
  assert.equal(sb.autoCompleteMessages, true);
  assert.equal(sb.prefetchCount, 0);
  assert.match(String(sb.maxAutoLockRenewalDuration), /^\d{2}:\d{2}:\d{2}$/);
  assert.ok(typeof sb.maxConcurrentSessions === "number" && sb.maxConcurrentSessions >= 1);
});

test('package.json "main" is where tsconfig.build.json compiles functions/index.ts (the registrations)', () => {
  const pkg = json("package.json");
  assert.equal(pkg.type, "module");
  const build = json("tsconfig.build.json");
  const base = json("tsconfig.json");
  const options = { ...obj(base.compilerOptions), ...obj(build.compilerOptions) };
  assert.equal(options.noEmit, false);
  assert.equal(options.rewriteRelativeImportExtensions, true, "relative .ts imports must become .js in dist/");
  assert.ok((build.include as string[]).includes("functions"));
  const out = join(String(options.outDir), relative(String(options.rootDir), "functions/index.ts")).replace(/\.ts$/, ".js");
  assert.equal(pkg.main, out);
  // functions/index.ts is the module that calls registerMicApp.
  assert.match(readFileSync(join(REPO, "functions/index.ts"), "utf8"), /registerMicApp\(/);
});

test(".funcignore ships dist/ and keeps sources, tests and local settings out", () => {
  const lines = readFileSync(join(REPO, ".funcignore"), "utf8").split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  for (const p of ["test", "sandbox", "bench", "local.settings.json", "*.ts"]) assert.ok(lines.includes(p), `${p} ignored`);
  assert.ok(lines.includes("!dist/**"), "dist/ is deployed");
  assert.ok(!lines.includes("dist") && !lines.includes("node_modules"), "the compiled app and its dependencies are deployed");
});

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) tsFiles(p, out);
    else if (name.endsWith(".ts")) out.push(p);
  }
  return out;
}

test("only functions/runtime.ts imports @azure/functions or durable-functions at runtime", () => {
  const offenders: string[] = [];
  const files = tsFiles(join(REPO, "functions"));
  assert.ok(files.length > 20);
  for (const f of files) {
    const rel = relative(REPO, f);
    if (rel === join("functions", "runtime.ts")) continue;
    const src = readFileSync(f, "utf8");
    // Any import/export … from "<lib>" that is not `import type` / `export type`, and any dynamic import or require.
    const stmt = /^\s*(import|export)\s+(?!type\b)[^;]*?from\s+["'](@azure\/functions|@azure\/functions-core|durable-functions)(\/[^"']*)?["']/gm;
    const dyn = /(?:import|require)\(\s*["'](@azure\/functions|@azure\/functions-core|durable-functions)(\/[^"']*)?["']\s*\)/g;
    const sideEffect = /^\s*import\s+["'](@azure\/functions|durable-functions)(\/[^"']*)?["']/gm;
    for (const m of [...src.matchAll(stmt), ...src.matchAll(dyn), ...src.matchAll(sideEffect)]) offenders.push(`${rel}: ${m[0].trim()}`);
  }
  assert.deepEqual(offenders, []);
  const runtime = readFileSync(join(REPO, "functions", "runtime.ts"), "utf8");
  assert.match(runtime, /^import \{ app \} from "@azure\/functions";$/m);
  assert.match(runtime, /^import \* as df from "durable-functions";$/m);
});
