// infra/: each overlay renders with the real kubectl kustomize, every object validates against
// the Kubernetes schema, the CRDs are exactly infra/crds, and cross-references hold.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { REPO } from "../../helpers/deploy/config-names.ts";
import { validateObject } from "../../helpers/deploy/k8s-schema.ts";
import { kustomize, parseYamlObjects, type K8sObject } from "../../helpers/deploy/kubectl.ts";
import { podSpecOf } from "../../helpers/deploy/pod-checks.ts";

const OVERLAYS = ["default", "standard", "managed"] as const;
const rendered = new Map<string, K8sObject[]>();
const CLUSTER_SCOPED = new Set(["Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"]);
const VERSION = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version;

before(async () => {
  for (const o of OVERLAYS) rendered.set(o, await kustomize(join(REPO, "infra", o)));
});

function objects(overlay: string): K8sObject[] {
  const r = rendered.get(overlay);
  assert.ok(r, `overlay ${overlay} was not rendered`);
  return r;
}

function crdFiles(): K8sObject[] {
  const dir = join(REPO, "infra", "crds");
  return readdirSync(dir).filter((f) => /\.ya?ml$/.test(f) && f !== "kustomization.yaml").sort()
    .flatMap((f) => parseYamlObjects(readFileSync(join(dir, f), "utf8"), f));
}

for (const overlay of OVERLAYS) {
  test(`${overlay}: every rendered object validates against the Kubernetes schema`, () => {
    const errors = objects(overlay).flatMap((o) => validateObject(o).map((e) => `${o.kind}/${o.metadata.name}: ${e}`));
    assert.deepEqual(errors, []);
  });

  test(`${overlay}: namespaced objects live in podid-system, cluster-scoped ones have no namespace`, () => {
    for (const o of objects(overlay)) {
      if (CLUSTER_SCOPED.has(o.kind)) assert.equal(o.metadata.namespace, undefined, `${o.kind}/${o.metadata.name}`);
      else assert.equal(o.metadata.namespace, "podid-system", `${o.kind}/${o.metadata.name}`);
    }
  });

  test(`${overlay}: the rendered CRDs are exactly the objects in infra/crds`, () => {
    const crds = objects(overlay).filter((o) => o.kind === "CustomResourceDefinition");
    const byName = (a: K8sObject, b: K8sObject) => a.metadata.name.localeCompare(b.metadata.name);
    const files = crdFiles();
    assert.equal(files.length, 4, "infra/crds holds the four aadpodidentity.k8s.io kinds");
    assert.deepEqual(crds.sort(byName), files.sort(byName));
  });

  test(`${overlay}: the podid-system namespace admits privileged pods (NMI)`, () => {
    const ns = objects(overlay).find((o) => o.kind === "Namespace");
    assert.equal(ns?.metadata.name, "podid-system");
    assert.equal(ns.metadata.labels?.["pod-security.kubernetes.io/enforce"], "privileged");
  });

  test(`${overlay}: bindings point at rendered roles and service accounts; workloads at their accounts`, () => {
    const all = objects(overlay);
    const has = (kind: string, name: string, ns?: string) =>
      all.some((o) => o.kind === kind && o.metadata.name === name && (ns === undefined || o.metadata.namespace === ns));
    for (const b of all.filter((o) => o.kind === "RoleBinding" || o.kind === "ClusterRoleBinding")) {
      const ref = b.roleRef as { kind: string; name: string };
      assert.ok(has(ref.kind, ref.name, ref.kind === "Role" ? b.metadata.namespace : undefined), `${b.metadata.name} → ${ref.kind}/${ref.name}`);
      for (const s of b.subjects as { kind: string; name: string; namespace: string }[]) {
        assert.equal(s.kind, "ServiceAccount");
        assert.ok(has("ServiceAccount", s.name, s.namespace), `${b.metadata.name} → ServiceAccount ${s.namespace}/${s.name}`);
      }
    }
    for (const w of all.filter((o) => o.kind === "Deployment" || o.kind === "DaemonSet")) {
      const sa = podSpecOf(w).serviceAccountName ?? "default";
      assert.ok(has("ServiceAccount", sa, w.metadata.namespace), `${w.metadata.name} runs as ${sa}`);
    }
  });

  test(`${overlay}: selectors match their pod templates and images are pinned to the release`, () => {
    for (const w of objects(overlay).filter((o) => o.kind === "Deployment" || o.kind === "DaemonSet")) {
      const spec = w.spec as { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> } } };
      for (const [k, v] of Object.entries(spec.selector.matchLabels)) assert.equal(spec.template.metadata.labels[k], v, `${w.metadata.name} ${k}`);
      for (const c of podSpecOf(w).containers) {
        assert.match(c.image ?? "", new RegExp(`^podid-(nmi|forwarder):${VERSION.replace(/\./g, "\\.")}$`), `${w.metadata.name}/${c.name}`);
      }
    }
    for (const pdb of objects(overlay).filter((o) => o.kind === "PodDisruptionBudget")) {
      const sel = (pdb.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
      const targets = objects(overlay).filter((o) => o.kind === "Deployment" &&
        Object.entries(sel).every(([k, v]) => podSpecLabels(o)[k] === v));
      assert.equal(targets.length, 1, `PodDisruptionBudget ${pdb.metadata.name} selects one workload`);
    }
  });
}

function podSpecLabels(o: K8sObject): Record<string, string> {
  return (o.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
}

test("default (standard mode) installs NMI and the forwarder; managed installs NMI only", () => {
  const workloads = (overlay: string) => objects(overlay)
    .filter((o) => o.kind === "Deployment" || o.kind === "DaemonSet").map((o) => `${o.kind}/${o.metadata.name}`).sort();
  assert.deepEqual(workloads("default"), ["DaemonSet/podid-nmi", "Deployment/podid-forwarder"]);
  assert.deepEqual(workloads("managed"), ["DaemonSet/podid-nmi"]);
  const forwarderBits = objects("managed").filter((o) => o.metadata.name.startsWith("podid-forwarder"));
  assert.deepEqual(forwarderBits.map((o) => `${o.kind}/${o.metadata.name}`), []);
});

test("the schema check rejects unknown fields, wrong types, missing required fields and unknown kinds", () => {
  const bad = {
    apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x" },
    spec: { template: { spec: { containers: [{ name: "c", imagePullPolicy: 3, securityContxt: {} }] } } },
  };
  const errors = validateObject(bad);
  assert.ok(errors.some((e) => e.includes("securityContxt: unknown field")), errors.join("\n"));
  assert.ok(errors.some((e) => e.includes("imagePullPolicy: expected a string")), errors.join("\n"));
  assert.ok(errors.some((e) => e.includes("spec.selector: required")), errors.join("\n"));
  assert.deepEqual(validateObject({ apiVersion: "extensions/v1beta1", kind: "Deployment" }), ["extensions/v1beta1/Deployment: not a kind podid's manifests may contain"]);
});

test("infra/standard renders exactly what infra/default renders", () => {
  assert.deepEqual(objects("standard"), objects("default"));
});
