// The real kubectl against the peer over HTTPS with a bearer token: discovery (api-resources), JSON lists, server-side Table
// printing with the CRDs' printer columns, and apply. kubectl is installed on this machine and
// on CI; if it is missing the test says so and checks the same data through client-node only.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { writeKubeconfig } from "../../../sandbox/peers/kube/index.ts";
import { testPki } from "../../../sandbox/pki.ts";
import { GROUP, startKubeFixture, VERSION } from "../../helpers/kube-peer-fixture.ts";

const KUBECTL = "/usr/bin/kubectl";

function kubectl(kubeconfig: string, cacheDir: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(KUBECTL, ["--kubeconfig", kubeconfig, "--cache-dir", cacheDir, ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kubectl ${args.join(" ")} failed: ${stderr || err.message}`));
      else resolve(stdout);
    });
    child.stdin?.end(input ?? "");
  });
}

test("kubectl: api-resources, get -A -o json, printer columns and apply", async (t) => {
  // HTTPS because client-go (kubectl) never sends a bearer token over plain HTTP.
  const pki = testPki();
  const f = await startKubeFixture({ token: "kubectl-token", tls: { cert: pki.cert, key: pki.key, caCertPath: pki.caCertPath } });
  const dir = mkdtempSync(join(tmpdir(), "podid-kubectl-"));
  t.after(async () => { await f.close(); rmSync(dir, { recursive: true, force: true }); });
  const base = { group: GROUP, version: VERSION, namespace: "default" };
  await f.co.createNamespacedCustomObject({ ...base, plural: "azureidentities", body: { metadata: { name: "demo" }, spec: { type: 0, clientID: "c1", resourceID: "/r/demo" } } });
  await f.co.createNamespacedCustomObject({ ...base, plural: "azureassignedidentities", body: { metadata: { name: "web-default-demo" }, spec: { pod: "web", podNamespace: "default", nodename: "node-1", azureIdentityRef: { metadata: { name: "demo" } } } } });
  await f.co.patchNamespacedCustomObjectStatus({ ...base, plural: "azureassignedidentities", name: "web-default-demo", body: [{ op: "add", path: "/status", value: { status: "Assigned" } }] });

  if (!existsSync(KUBECTL)) {
    t.diagnostic(`kubectl not found at ${KUBECTL}: the kubectl checks did not run; checked the objects through client-node instead`);
    const all = (await f.co.listClusterCustomObject({ group: GROUP, version: VERSION, plural: "azureidentities" })) as { items: { metadata: { name: string } }[] };
    assert.deepEqual(all.items.map((i) => i.metadata.name), ["demo"]);
    return;
  }
  const kubeconfig = join(dir, "kubeconfig");
  const cache = join(dir, "cache");
  writeKubeconfig(kubeconfig, f.peer.url, "kubectl-token", pki.caCertPath);

  const list = JSON.parse(await kubectl(kubeconfig, cache, ["get", "azureidentities", "-A", "-o", "json"])) as { kind: string; items: { kind: string; metadata: { name: string; namespace: string }; spec: { clientID: string } }[] };
  assert.equal(list.kind, "List");
  assert.deepEqual(list.items.map((i) => [i.kind, i.metadata.namespace, i.metadata.name, i.spec.clientID]), [["AzureIdentity", "default", "demo", "c1"]]);

  const resources = await kubectl(kubeconfig, cache, ["api-resources", "--api-group", GROUP, "--no-headers"]);
  const rows = resources.trim().split("\n").map((l) => l.trim().split(/\s+/));
  assert.deepEqual(rows.map((r) => r[0]).sort(), ["azureassignedidentities", "azureidentities", "azureidentitybindings", "azurepodidentityexceptions"]);
  assert.deepEqual(rows.find((r) => r[0] === "azureassignedidentities"), ["azureassignedidentities", "azaid", `${GROUP}/${VERSION}`, "true", "AzureAssignedIdentity"]);

  const table = (await kubectl(kubeconfig, cache, ["get", "azaid"])).trim().split("\n").map((l) => l.trim().split(/\s+/));
  assert.deepEqual(table[0], ["NAME", "STATUS", "POD", "PODNAMESPACE", "NODE", "IDENTITY", "AGE"]);
  assert.deepEqual(table[1]?.slice(0, 6), ["web-default-demo", "Assigned", "web", "default", "node-1", "demo"]);

  const applied = await kubectl(kubeconfig, cache, ["apply", "-f", "-"],
    JSON.stringify({ apiVersion: `${GROUP}/${VERSION}`, kind: "AzureIdentityBinding", metadata: { name: "demo-binding", namespace: "default" }, spec: { azureIdentity: "demo", selector: "demo" } }));
  assert.match(applied, /azureidentitybinding\.aadpodidentity\.k8s\.io\/demo-binding created/);
  assert.equal((f.peer.get("azureidentitybindings", "default", "demo-binding")?.spec as { selector?: string }).selector, "demo");
  assert.ok(f.peer.requests.every((r) => r.user === "admin" || r.path === "/version"), "kubectl sent the kubeconfig's token");
});
