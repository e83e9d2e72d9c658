// infra/**/kustomization.yaml use kustomize v5 fields only, reference what exists, and the CRD
// folder's kustomization lists every CRD file (so the overlays cannot silently drop one).
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { REPO } from "../../helpers/deploy/config-names.ts";

const INFRA = join(REPO, "infra");
const DEPRECATED = ["bases", "patchesStrategicMerge", "patchesJson6902", "commonLabels", "vars", "imageTags"];
const ALLOWED = new Set([
  "apiVersion", "kind", "resources", "components", "patches", "labels", "images", "namespace", "namePrefix",
  "nameSuffix", "configMapGenerator", "secretGenerator", "generatorOptions", "replicas", "replacements",
  "commonAnnotations", "buildMetadata", "sortOptions",
]);

interface Kustomization { [key: string]: unknown; resources?: string[]; patches?: { path?: string }[] }

function kustomizations(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) kustomizations(p, out);
    else if (name === "kustomization.yaml") out.push(p);
  }
  return out;
}

const files = kustomizations(INFRA);

test("infra has a kustomization for the CRDs, the base pieces and the overlays", () => {
  const rel = files.map((f) => relative(INFRA, f)).sort();
  for (const expected of ["crds/kustomization.yaml", "base/kustomization.yaml", "default/kustomization.yaml", "standard/kustomization.yaml", "managed/kustomization.yaml"]) {
    assert.ok(rel.includes(expected), `missing ${expected}`);
  }
});

for (const file of files) {
  const rel = relative(REPO, file);
  test(`${rel}: kustomize v5 fields only, every referenced file or folder exists`, () => {
    const k = parse(readFileSync(file, "utf8")) as Kustomization;
    assert.equal(k.apiVersion, "kustomize.config.k8s.io/v1beta1");
    assert.equal(k.kind, "Kustomization");
    for (const key of Object.keys(k)) {
      assert.ok(!DEPRECATED.includes(key), `${key} is deprecated in kustomize v5`);
      assert.ok(ALLOWED.has(key), `${key} is not a field podid's kustomizations use`);
    }
    const dir = join(file, "..");
    for (const r of k.resources ?? []) {
      const target = join(dir, r);
      assert.ok(existsSync(target), `resource ${r} does not exist`);
      if (statSync(target).isDirectory()) assert.ok(existsSync(join(target, "kustomization.yaml")), `${r} is a folder without kustomization.yaml`);
    }
    for (const p of k.patches ?? []) if (p.path !== undefined) assert.ok(existsSync(join(dir, p.path)), `patch ${p.path} does not exist`);
  });
}

test("infra/crds/kustomization.yaml lists every CRD manifest in the folder, and nothing else", () => {
  const dir = join(INFRA, "crds");
  const k = parse(readFileSync(join(dir, "kustomization.yaml"), "utf8")) as Kustomization;
  const onDisk = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && f !== "kustomization.yaml").sort();
  assert.deepEqual([...(k.resources ?? [])].sort(), onDisk);
  const transformers = Object.keys(k).filter((key) => !["apiVersion", "kind", "resources"].includes(key));
  assert.deepEqual(transformers, [], "no transformers: the rendered CRDs must equal the files");
});
