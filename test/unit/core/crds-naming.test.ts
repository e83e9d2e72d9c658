import assert from "node:assert/strict";
import { test } from "node:test";
import {
  AzureAssignedIdentitySchema, AzureIdentityBindingSchema, AzureIdentitySchema, AzurePodIdentityExceptionSchema,
  assignedIdentityName, assignedIdentityNamespace, effectiveAssignedStatus, isNamespacedIdentity,
} from "../../../core/index.ts";

// Shapes copied from how aad-pod-identity users write them (docs examples), unchanged.
const upstreamIdentity = {
  apiVersion: "aadpodidentity.k8s.io/v1",
  kind: "AzureIdentity",
  metadata: { name: "demo", namespace: "default" },
  spec: {
    type: 0,
    resourceID: "/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/demo",
    clientID: "11111111-2222-3333-4444-555555555555",
  },
};

test("aad-pod-identity objects parse unchanged, unknown fields preserved", () => {
  const identity = AzureIdentitySchema.parse({ ...upstreamIdentity, spec: { ...upstreamIdentity.spec, replicas: 1, futureField: "x" } });
  assert.equal(identity.spec.type, 0);
  assert.equal((identity.spec as Record<string, unknown>).futureField, "x");
  const sp = AzureIdentitySchema.parse({
    metadata: { name: "sp" },
    spec: { type: 1, tenantID: "t", clientID: "c", clientPassword: { name: "sp-secret", namespace: "default" }, auxiliaryTenantIDs: ["a"], adEndpoint: "https://login.microsoftonline.us/" },
  });
  assert.equal(sp.spec.clientPassword?.name, "sp-secret");
  const binding = AzureIdentityBindingSchema.parse({ metadata: { name: "b" }, spec: { azureIdentity: "demo", selector: "demo", weight: 1 } });
  assert.equal(binding.spec.selector, "demo");
  const exception = AzurePodIdentityExceptionSchema.parse({ metadata: { name: "e", namespace: "kube-system" }, spec: { podLabels: { app: "custom", component: "x" } } });
  assert.deepEqual(exception.spec.podLabels, { app: "custom", component: "x" });
  const aai = AzureAssignedIdentitySchema.parse({
    metadata: { name: "p-default-demo", namespace: "default", labels: { nodename: "n1" } },
    spec: { azureIdentityRef: upstreamIdentity, azureBindingRef: { metadata: { name: "b" }, spec: { azureIdentity: "demo", selector: "demo" } }, pod: "p", podNamespace: "default", nodename: "n1", replicas: 1 },
    status: { status: "Assigned", availableReplicas: 1 },
  });
  assert.equal(aai.spec.nodename, "n1");
});

test("a missing identity type decodes as 0 (upstream int without omitempty); bad types are rejected", () => {
  assert.equal(AzureIdentitySchema.parse({ metadata: { name: "x" }, spec: {} }).spec.type, 0);
  for (const type of [3, -1, "0", 1.5]) {
    assert.equal(AzureIdentitySchema.safeParse({ metadata: { name: "x" }, spec: { type } }).success, false, String(type));
  }
  assert.equal(AzureIdentitySchema.safeParse({ metadata: {}, spec: {} }).success, false, "name is required");
});

test("assigned identity naming and namespace follow upstream", () => {
  assert.equal(assignedIdentityName("web-0", "shop", "payments"), "web-0-shop-payments");
  const plain = { metadata: { name: "id", namespace: "shop" } };
  const annotated = { metadata: { name: "id", namespace: "shop", annotations: { "aadpodidentity.k8s.io/Behavior": "namespaced" } } };
  const cases = [
    { identity: plain, force: false, namespaced: false, ns: "default" },
    { identity: plain, force: true, namespaced: true, ns: "shop" },
    { identity: annotated, force: false, namespaced: true, ns: "shop" },
    { identity: { metadata: { name: "id", namespace: "shop", annotations: { "aadpodidentity.k8s.io/Behavior": "Namespaced" } } }, force: false, namespaced: true, ns: "shop" },
    { identity: { metadata: { name: "id", namespace: "shop", annotations: { "aadpodidentity.k8s.io/Behavior": "global" } } }, force: false, namespaced: false, ns: "default" },
  ];
  for (const c of cases) {
    assert.equal(isNamespacedIdentity(c.identity, c.force), c.namespaced);
    assert.equal(assignedIdentityNamespace(c.identity, c.force), c.ns);
  }
});

test("legacy empty status counts as Assigned", () => {
  const base = { metadata: { name: "a" }, spec: { pod: "p", podNamespace: "d", nodename: "n" } };
  assert.equal(effectiveAssignedStatus(AzureAssignedIdentitySchema.parse(base)), "Assigned");
  assert.equal(effectiveAssignedStatus(AzureAssignedIdentitySchema.parse({ ...base, status: { status: "" } })), "Assigned");
  assert.equal(effectiveAssignedStatus(AzureAssignedIdentitySchema.parse({ ...base, status: { status: "Created" } })), "Created");
});
