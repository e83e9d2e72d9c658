// What the server accepts: aad-pod-identity's own objects unchanged, 422 Invalid with causes for
// schema violations, pruning (with a Warning) or a strict 400 for unknown top-level fields.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { KubernetesObjectApi, type KubernetesObject } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { expectApiError, GROUP, startKubeFixture, VERSION } from "../../helpers/kube-peer-fixture.ts";

type Doc = KubernetesObject & { spec?: unknown; status?: unknown };
const examples = parseAllDocuments(readFileSync(new URL("fixtures/aad-pod-identity-examples.yaml", import.meta.url), "utf8"))
  .map((d) => d.toJS() as Doc);

test("aad-pod-identity example objects are accepted and stored unchanged", async (t) => {
  const f = await startKubeFixture();
  t.after(() => f.close());
  // The generic client finds each kind's plural through discovery, like kubectl apply does.
  const client = KubernetesObjectApi.makeApiClient(f.kc);
  assert.equal(examples.length, 5);
  for (const ex of examples) {
    await client.create(structuredClone({ ...ex, metadata: { ...ex.metadata, namespace: "default" } }));
    const back = await client.read<Doc>({ apiVersion: ex.apiVersion ?? "", kind: ex.kind ?? "", metadata: { name: ex.metadata?.name ?? "", namespace: "default" } });
    assert.deepEqual(back.spec, ex.spec, `${ex.kind}/${ex.metadata?.name} spec`);
    assert.deepEqual(back.status, ex.status, `${ex.kind}/${ex.metadata?.name} status`);
    assert.deepEqual(back.metadata?.annotations, ex.metadata?.annotations);
  }
  const sp = examples[2];
  assert.deepEqual((sp?.spec as { clientPassword: unknown }).clientPassword, { name: "sp-secret", namespace: "default" });
});

test("objects that break the schema are rejected with 422 Invalid and one cause per field", async (t) => {
  const f = await startKubeFixture();
  t.after(() => f.close());
  const e = await expectApiError(() => f.co.createNamespacedCustomObject({
    group: GROUP, version: VERSION, namespace: "default", plural: "azureidentities",
    body: { apiVersion: `${GROUP}/${VERSION}`, kind: "AzureIdentity", metadata: { name: "bad" }, spec: { type: "0", clientID: "c", auxiliaryTenantIDs: "t1" } },
  }));
  assert.equal(e.code, 422);
  assert.equal(e.status.reason, "Invalid");
  assert.deepEqual(e.status.details?.causes, [
    { reason: "FieldValueTypeInvalid", field: "spec.type", message: 'Invalid value: "string": spec.type in body must be of type integer: "string"' },
    { reason: "FieldValueTypeInvalid", field: "spec.auxiliaryTenantIDs", message: 'Invalid value: "string": spec.auxiliaryTenantIDs in body must be of type array: "string"' },
  ]);
  assert.equal(e.status.message?.startsWith(`AzureIdentity.${GROUP} "bad" is invalid: [spec.type: Invalid value`), true);
  assert.deepEqual(e.status.details && { name: e.status.details.name, group: e.status.details.group, kind: e.status.details.kind }, { name: "bad", group: GROUP, kind: "AzureIdentity" });

  const ex = await expectApiError(() => f.co.createNamespacedCustomObject({
    group: GROUP, version: VERSION, namespace: "default", plural: "azurepodidentityexceptions",
    body: { metadata: { name: "bad-ex", labels: { "bad key!": "v" } }, spec: { podLabels: { app: 1 } } },
  }));
  assert.equal(ex.code, 422);
  assert.deepEqual(ex.status.details?.causes?.map((c) => c.field), ["metadata.labels", "spec.podLabels.app"]);
  assert.deepEqual(f.peer.list("azureidentities"), []);
});

test("unknown top-level fields are pruned with a Warning, or refused under fieldValidation=Strict", async (t) => {
  const f = await startKubeFixture();
  t.after(() => f.close());
  const url = `${f.peer.url}/apis/${GROUP}/${VERSION}/namespaces/default/azureidentitybindings`;
  const body = JSON.stringify({ apiVersion: `${GROUP}/${VERSION}`, kind: "AzureIdentityBinding", metadata: { name: "b" }, spec: { selector: "s" }, extra: { x: 1 } });
  const post = (query: string) => fetch(url + query, { method: "POST", headers: { "Content-Type": "application/json" }, body });
  const strict = await post("?fieldValidation=Strict");
  assert.equal(strict.status, 400);
  assert.match(((await strict.json()) as { message: string }).message, /unknown field "extra"/);
  const warned = await post("");
  assert.equal(warned.status, 201);
  assert.equal(warned.headers.get("warning"), '299 - "unknown field \\"extra\\""');
  const stored = (await warned.json()) as Record<string, unknown>;
  assert.equal("extra" in stored, false);
  assert.deepEqual(stored.spec, { selector: "s" });
});
