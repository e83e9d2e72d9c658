// The operator docs follow the templates and the code: docs/deploy.md walks az deployment →
// kubectl apply -k → func start, names only real Bicep parameters and outputs (and all of them),
// sets only environment variables some component reads, and the local.settings.json it writes
// (and docs/local-development.md's) provides every app setting the MIC reads.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { render } from "../../helpers/deploy/bicep-lexer.ts";
import { decls, file, loadAll } from "../../helpers/deploy/bicep-files.ts";
import { functionAppSettingUses, provides } from "../../helpers/deploy/app-settings.ts";
import { forwarderEnvNames, nmiEnvNames, REPO } from "../../helpers/deploy/config-names.ts";

const doc = (name: string): string => readFileSync(join(REPO, "docs", name), "utf8");
const DOCS = ["deploy.md", "local-development.md", "operations.md", "migration-from-aad-pod-identity.md"];
const deploy = doc("deploy.md");
const main = file(loadAll(), "bicep/main.bicep");
const params = decls(main, "param");
const outputs = decls(main, "output");
/** Shell variables the guides define for their own commands (not settings of a component). */
const DOC_SHELL_VARIABLES = new Set(["PODID_RG"]);

const matches = (text: string, re: RegExp): string[] => [...text.matchAll(re)].map((m) => m[1] ?? "");

test("deploy.md walks az deployment group create -f bicep/main.bicep → kubectl apply -k infra/… → func start", () => {
  // Commands at the start of a line: the ones the reader runs, not prose mentioning them.
  const steps = [/^az deployment group create [^\n]*-f bicep\/main\.bicep/m, /^kubectl apply -k (infra\/default|deploy\/\$CLUSTER)/m, /^func start$/m];
  const at = steps.map((re) => deploy.search(re));
  for (const [i, pos] of at.entries()) assert.ok(pos >= 0, `deploy.md lacks ${String(steps[i])}`);
  assert.deepEqual([...at].sort((a, b) => a - b), at, "in this order");
  assert.match(deploy, /kubectl apply -k infra\/default/);
});

test("every -p parameter in the docs is a main.bicep parameter, and the required ones are passed", () => {
  const names = new Set(params.map((p) => p.name));
  for (const d of DOCS) for (const p of matches(doc(d), /(?:^|\s)-p\s+([A-Za-z][A-Za-z0-9]*)=/gm)) assert.ok(names.has(p), `${d}: -p ${p} is not a parameter of bicep/main.bicep`);
  const command = /az deployment group create [^\n]*-f bicep\/main\.bicep(?:[^\n]*\\\n)*[^\n]*/.exec(deploy)?.[0] ?? "";
  for (const p of params.filter((x) => x.value.length === 0)) assert.match(command, new RegExp(`-p ${p.name}=`), `required parameter ${p.name} is not passed`);
});

test("deploy.md's parameter table lists exactly main.bicep's parameters", () => {
  const table = deploy.slice(deploy.indexOf("| parameter | default | meaning |"));
  const rows = table.slice(0, table.search(/\n\n/)).split("\n").slice(2);
  const listed = new Set(rows.flatMap((r) => matches(r.split("|")[1] ?? "", /`([A-Za-z][A-Za-z0-9]*)`/g)));
  assert.deepEqual([...listed].sort(), params.map((p) => p.name).sort());
});

test("every output the docs read exists (with the fields they read), and deploy.md uses every output", () => {
  const byName = new Map(outputs.map((o) => [o.name, o]));
  const reads = [
    ...matches(deploy, /\$\(out ([A-Za-z0-9]+(?: \.[A-Za-z0-9]+)?)\)/g),
    ...matches(deploy, /properties\.outputs\.([A-Za-z0-9]+)\b/g).filter((n) => n !== "$1"),
  ];
  assert.ok(reads.length >= 8, `reads: ${reads.join(", ")}`);
  for (const r of reads) {
    const [name = "", field] = r.split(" .");
    const o = byName.get(name);
    assert.ok(o, `deploy.md reads output ${name}, which bicep/main.bicep does not have`);
    if (field !== undefined) {
      const src = [...render(o.head).matchAll(/\b([A-Za-z0-9]+)\s*:/g), ...render(o.value).matchAll(/\b([A-Za-z0-9]+)\s*:/g)].map((m) => m[1]);
      const module = readFileSync(join(REPO, "bicep", "modules", "service-bus.bicep"), "utf8");
      assert.ok(src.includes(field) || new RegExp(`output ${name}[\\s\\S]*?\\b${field}:`).test(module), `output ${name} has no field ${field}`);
    }
  }
  for (const o of outputs) assert.match(deploy, new RegExp(`\\b${o.name}\\b`), `deploy.md never mentions output ${o.name}`);
});

test("environment variables the docs set are read by a component (forwarder, NMI, MIC or CLI)", () => {
  const cli = readFileSync(join(REPO, "cli", "args.ts"), "utf8");
  const known = new Set([
    ...forwarderEnvNames(), ...nmiEnvNames(), ...functionAppSettingUses().map((u) => u.name),
    ...matches(cli, /env\.([A-Z][A-Z0-9_]+)/g), ...DOC_SHELL_VARIABLES,
  ]);
  for (const d of DOCS) {
    for (const name of matches(doc(d), /\b(PODID_[A-Z0-9_]+)=/g)) assert.ok(known.has(name), `${d} sets ${name}, which nothing reads`);
  }
  const secretKeys = matches(deploy, /--from-literal=([A-Z0-9_]+)=/g);
  assert.ok(secretKeys.includes("PODID_SERVICEBUS_EVENTS_CONNECTION_STRING") && secretKeys.includes("PODID_SERVICEBUS_COMMANDS_CONNECTION_STRING"));
  for (const k of secretKeys) assert.ok(forwarderEnvNames().has(k), `the forwarder Secret key ${k} is not a forwarder setting`);
});

test("the local.settings.json the guides write provides every app setting the MIC reads", () => {
  const uses = functionAppSettingUses();
  for (const d of ["deploy.md", "local-development.md"]) {
    const body = /cat > local\.settings\.json <<'?EOF'?\n([\s\S]*?)\nEOF/.exec(doc(d))?.[1];
    assert.ok(body, `${d} writes local.settings.json`);
    const json = JSON.parse(body) as { IsEncrypted?: boolean; Values?: Record<string, string> };
    const values = Object.keys(json.Values ?? {});
    const missing = uses.filter((u) => !provides(values, u)).map((u) => u.name);
    assert.deepEqual([...new Set(missing)], [], `${d}: local.settings.json lacks settings`);
    assert.equal(json.Values?.FUNCTIONS_WORKER_RUNTIME, "node", "Core Tools needs the worker runtime locally");
  }
});
