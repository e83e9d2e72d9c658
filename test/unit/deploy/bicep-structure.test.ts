// Static checks of bicep/ (no Bicep compiler on this machine): it tokenizes, every referenced
// file exists, resource types use reviewed GA api versions, parameters are used and described,
// module calls pass exactly the module's parameters, and no output carries a secret.
import assert from "node:assert/strict";
import { test } from "node:test";
import { deepTokens, render, tokenize } from "../../helpers/deploy/bicep-lexer.ts";
import { decorator, isObjectValue, parseBicep, parseValue, stringHead } from "../../helpers/deploy/bicep-parse.ts";
import { bicepFiles, bodyValue, decls, exists, loadAll, references, rel, targetPath } from "../../helpers/deploy/bicep-files.ts";

// Reviewed 2026-11-28 against Azure/bicep-types-az (generated GA type folders; preview versions
// live in "-preview" folders): every type@version below exists as GA.
const REVIEWED_API_VERSIONS: Record<string, string> = {
  "Microsoft.Web/serverfarms": "2024-11-01",
  "Microsoft.Web/sites": "2024-11-01",
  "Microsoft.Storage/storageAccounts": "2025-01-01",
  "Microsoft.Storage/storageAccounts/blobServices": "2025-01-01",
  "Microsoft.Storage/storageAccounts/blobServices/containers": "2025-01-01",
  "Microsoft.Storage/storageAccounts/tableServices": "2025-01-01",
  "Microsoft.Storage/storageAccounts/tableServices/tables": "2025-01-01",
  "Microsoft.ServiceBus/namespaces": "2024-01-01",
  "Microsoft.ServiceBus/namespaces/queues": "2024-01-01",
  "Microsoft.ServiceBus/namespaces/queues/authorizationRules": "2024-01-01",
  "Microsoft.OperationalInsights/workspaces": "2023-09-01",
  "Microsoft.Insights/components": "2020-02-02",
  "Microsoft.Authorization/roleAssignments": "2022-04-01",
  "Microsoft.ManagedIdentity/userAssignedIdentities": "2023-01-31",
  "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials": "2023-01-31",
};

const all = loadAll();

test("bicep/ has main.bicep and its modules, and every file tokenizes and parses", () => {
  const names = all.map(rel);
  assert.ok(names.includes("bicep/main.bicep"));
  assert.ok(names.filter((n) => n.startsWith("bicep/modules/")).length >= 5, names.join(", "));
  assert.equal(bicepFiles().length, all.length);
});

test("the lexer and parser reject what a compiler would (so the checks below can fail)", () => {
  assert.throws(() => tokenize("var x = 'unterminated"), /unterminated string/);
  assert.throws(() => tokenize("var x = '${a"), /unterminated interpolation/);
  assert.throws(() => parseBicep("inline.bicep", "@description('x')\n"), /decorator without a declaration/);
  assert.throws(() => parseBicep("inline.bicep", "foo bar\n"), /unexpected 'foo'/);
  const f = parseBicep("inline.bicep", "param a string\nparam b string\nvar c = {\n  a: 'x'\n  d: '${b}'\n}\n");
  assert.equal(references(f, "a"), 0, "an object key named like a param is not a use");
  assert.equal(references(f, "b"), 1, "a use inside an interpolation counts");
  assert.deepEqual(parseValue(tokenize("{\n  k: [\n    'a'\n    1\n  ]\n}")), { k: ["a", 1] });
});

for (const f of all) {
  test(`${rel(f)}: every module and import it references exists`, () => {
    for (const d of f.declarations.filter((x) => x.keyword === "module" || x.keyword === "import")) {
      assert.ok(exists(targetPath(f, d)), `${d.keyword} ${d.name} → ${render(d.head)}`);
    }
  });

  test(`${rel(f)}: resources use reviewed, GA api versions`, () => {
    for (const d of decls(f, "resource")) {
      const [type, version] = (stringHead(d) ?? "").split("@");
      assert.ok(type && version, `resource ${d.name} has no 'type@version'`);
      assert.doesNotMatch(version, /preview/i, `${d.name}: ${type}@${version}`);
      assert.equal(REVIEWED_API_VERSIONS[type], version, `${d.name}: ${type}@${version} is not in the reviewed list`);
    }
  });

  test(`${rel(f)}: every parameter and variable is used; parameters, outputs and exported symbols are described`, () => {
    for (const d of decls(f, "param")) {
      assert.ok(references(f, d.name, d) > 0, `param ${d.name} is never used`);
      assert.ok(decorator(d, "description"), `param ${d.name} has no @description`);
    }
    for (const d of decls(f, "output")) assert.ok(decorator(d, "description"), `output ${d.name} has no @description`);
    for (const d of f.declarations.filter((x) => decorator(x, "export"))) assert.ok(decorator(d, "description"), `exported ${d.name} has no @description`);
    for (const d of decls(f, "var")) {
      if (!decorator(d, "export")) assert.ok(references(f, d.name, d) > 0, `var ${d.name} is never used`);
    }
  });

  test(`${rel(f)}: no output carries a secret, and nothing reads keys`, () => {
    for (const t of deepTokens(f.tokens)) {
      if (t.kind === "ident") assert.doesNotMatch(t.text, /^list[A-Z]|^listKeys$/, `${rel(f)}:${t.line} calls ${t.text}()`);
    }
    for (const d of decls(f, "output")) {
      assert.equal(decorator(d, "secure"), undefined, `output ${d.name} is @secure`);
      assert.doesNotMatch(d.name, /key|secret|password|token|connectionstring/i, `output ${d.name}`);
      assert.doesNotMatch(render(d.value), /connectionstring|primarykey|secondarykey|instrumentationkey|password/i, `output ${d.name} = ${render(d.value)}`);
    }
  });
}

test("module calls pass every required parameter of the module and no unknown one", () => {
  for (const f of all) {
    for (const d of decls(f, "module")) {
      const mod = parseBicep(targetPath(f, d));
      const body = bodyValue(d);
      const passed = body.params;
      assert.ok(isObjectValue(passed), `${d.name}: params is not an object`);
      const declared = new Map(decls(mod, "param").map((p) => [p.name, p.value.length > 0]));
      for (const key of Object.keys(passed)) assert.ok(declared.has(key), `${rel(f)} module ${d.name} passes unknown param ${key}`);
      for (const [name, hasDefault] of declared) {
        if (!hasDefault) assert.ok(name in passed, `${rel(f)} module ${d.name} does not pass required param ${name}`);
      }
    }
  }
});
