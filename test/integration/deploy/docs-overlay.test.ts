// The overlays docs/deploy.md tells users to write (step 6, and the workload-identity patch of
// step 5), taken from the doc itself, rendered with the real kubectl kustomize over infra/default.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { REPO } from "../../helpers/deploy/config-names.ts";
import { validateObject } from "../../helpers/deploy/k8s-schema.ts";
import { kustomize, type K8sObject } from "../../helpers/deploy/kubectl.ts";
import { podSpecOf } from "../../helpers/deploy/pod-checks.ts";

const deployDoc = readFileSync(join(REPO, "docs", "deploy.md"), "utf8");
const VERSION = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version;
const SHELL: Record<string, string> = { ACR: "contoso", VERSION, CLUSTER: "prod", FWD_CLIENT_ID: "11111111-2222-3333-4444-555555555555" };

/** The body of `cat <op> deploy/$CLUSTER/kustomization.yaml <<EOF … EOF` in deploy.md, with shell variables expanded. */
function heredoc(op: ">" | ">>"): string {
  const re = new RegExp(`cat ${op} deploy/\\$CLUSTER/kustomization\\.yaml <<EOF\\n([\\s\\S]*?)\\nEOF`);
  const body = re.exec(deployDoc)?.[1];
  assert.ok(body, `deploy.md has no 'cat ${op} deploy/$CLUSTER/kustomization.yaml' block`);
  return `${body.replace(/\$([A-Z_]+)/g, (_, v: string) => SHELL[v] ?? `$${v}`)}\n`;
}

let root = "";
before(() => {
  // deploy/<cluster>/ next to a link to the repository's infra/, as in a clone.
  root = mkdtempSync(join(tmpdir(), "podid-docs-overlay-"));
  symlinkSync(join(REPO, "infra"), join(root, "infra"));
});
after(() => { rmSync(root, { recursive: true, force: true }); });

async function render(name: string, text: string): Promise<K8sObject[]> {
  const dir = join(root, name, SHELL.CLUSTER ?? "prod");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "kustomization.yaml"), text);
  assert.ok(text.includes("../../infra/default"), "the overlay builds on infra/default, two levels up");
  return kustomize(dir);
}

const find = (objs: K8sObject[], kind: string, name: string): K8sObject => {
  const o = objs.find((x) => x.kind === kind && (x.metadata as { name?: string } | undefined)?.name === name);
  assert.ok(o, `${kind}/${name} rendered`);
  return o;
};

test("step 6's overlay points both images at the registry and the release", async () => {
  const objs = await render("deploy", heredoc(">"));
  for (const [kind, name, image] of [["DaemonSet", "podid-nmi", "podid-nmi"], ["Deployment", "podid-forwarder", "podid-forwarder"]] as const) {
    const images = podSpecOf(find(objs, kind, name)).containers.map((c) => c.image);
    assert.deepEqual(images, [`contoso.azurecr.io/${image}:${VERSION}`]);
  }
});

test("with the workload-identity patch of step 5 the forwarder pods use workload identity as the Bicep identity", async () => {
  const objs = await render("deploy-entra", heredoc(">") + heredoc(">>"));
  const d = find(objs, "Deployment", "podid-forwarder");
  const labels = ((d.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels);
  assert.equal(labels["azure.workload.identity/use"], "true");
  const sa = find(objs, "ServiceAccount", "podid-forwarder");
  assert.deepEqual((sa.metadata as { annotations?: Record<string, string> }).annotations, { "azure.workload.identity/client-id": SHELL.FWD_CLIENT_ID });
  assert.equal((sa.metadata as { namespace?: string }).namespace, "podid-system", "the subject the Bicep federated credential trusts");
  for (const o of [d, sa]) assert.deepEqual(validateObject(o), [], `${o.kind} validates`);
});
