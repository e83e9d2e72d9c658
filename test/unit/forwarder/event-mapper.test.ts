import assert from "node:assert/strict";
import { test } from "node:test";
import { objectKey, toObjectEvent, toSnapshotItem } from "../../../forwarder/event-mapper.ts";

const rawPod = (labels: Record<string, string>) => ({
  apiVersion: "v1", kind: "Pod",
  metadata: { name: "web-0", namespace: "shop", uid: "u-1", resourceVersion: "7", labels, creationTimestamp: new Date(0), annotations: { big: "x" } },
  spec: { nodeName: "n1", containers: [{ name: "c", env: [{ name: "SECRET", value: "s3cr3t" }] }] },
  status: { phase: "Running", podIP: "10.0.0.5" },
});

test("an opted-in pod becomes a trimmed upsert (no container spec leaves the cluster)", () => {
  const r = toObjectEvent("c1", "Pod", "add", rawPod({ aadpodidbinding: "web", app: "web" }));
  assert.ok(r.ok);
  assert.equal(r.key, "Pod/u-1");
  assert.equal(r.event.op, "upsert");
  assert.equal(r.event.cluster, "c1");
  assert.deepEqual(r.event.object, {
    metadata: { name: "web-0", namespace: "shop", uid: "u-1", resourceVersion: "7", labels: { aadpodidbinding: "web", app: "web" } },
    spec: { nodeName: "n1" },
    status: { phase: "Running", podIP: "10.0.0.5" },
  });
  assert.doesNotMatch(JSON.stringify(r.event), /s3cr3t/);
});

test("a pod that lost its label is a delete, whichever way the change is reported", () => {
  for (const change of ["update", "delete"] as const) {
    const r = toObjectEvent("c1", "Pod", change, rawPod({ app: "web" }));
    assert.ok(r.ok);
    assert.equal(r.event.op, "delete");
    assert.equal(r.key, "Pod/u-1");
  }
});

test("deletes of any kind are deletes; CRDs keep their spec", () => {
  const r = toObjectEvent("c1", "AzureIdentityBinding", "delete", {
    metadata: { name: "b", namespace: "shop", uid: "u-b", resourceVersion: "3" }, spec: { azureIdentity: "id", selector: "web" },
  });
  assert.ok(r.ok);
  assert.equal(r.event.op, "delete");
  assert.equal(r.event.kind, "AzureIdentityBinding");
  assert.deepEqual(r.event.object.spec, { azureIdentity: "id", selector: "web" });
});

test("objects that break the contract are reported, not forwarded", () => {
  const r = toObjectEvent("c1", "AzureIdentity", "add", { metadata: { name: "i", namespace: "x" }, spec: { type: 7 } });
  assert.equal(r.ok, false);
});

test("keys fall back to namespace/name without a uid", () => {
  assert.equal(objectKey("Node", { metadata: { name: "n1" } }), "Node//n1");
  assert.equal(objectKey("AzureIdentity", { metadata: { name: "i", namespace: "ns" } }), "AzureIdentity/ns/i");
});

test("snapshot items skip pods without the label", () => {
  assert.equal(toSnapshotItem("Pod", rawPod({ app: "web" })), undefined);
  assert.equal(toSnapshotItem("Pod", rawPod({ aadpodidbinding: "web" }))?.kind, "Pod");
  assert.equal(toSnapshotItem("Node", { metadata: { name: "n1" }, spec: { providerID: "azure:///x" } })?.kind, "Node");
});
