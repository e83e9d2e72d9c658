// Bearer tokens (401), the authorize hook (403 worded like RBAC's), fault and latency injection.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CoreV1Api } from "@kubernetes/client-node";
import { kubeConfigFor } from "../../../sandbox/peers/kube/index.ts";
import type { RequestAttributes } from "../../../sandbox/peers/kube/index.ts";
import { expectApiError, GROUP, startKubeFixture, VERSION } from "../../helpers/kube-peer-fixture.ts";

test("a bearer token is required: 401 Unauthorized Status otherwise", async (t) => {
  const f = await startKubeFixture({ token: "s3cret" });
  t.after(() => f.close());
  assert.ok((await f.core.listNamespace()).items.length >= 2);
  const wrong = kubeConfigFor(f.peer, "nope").makeApiClient(CoreV1Api);
  assert.equal((await expectApiError(() => wrong.listNamespace())).code, 401);
  const none = kubeConfigFor(f.peer).makeApiClient(CoreV1Api);
  assert.equal((await expectApiError(() => none.listNamespace())).code, 401);
  // client-node drops 401 bodies; check the Status itself over plain HTTP.
  const raw = await fetch(`${f.peer.url}/apis`, { headers: { Authorization: "Bearer nope" } });
  assert.equal(raw.status, 401);
  assert.deepEqual(await raw.json(), { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: "Unauthorized", reason: "Unauthorized", code: 401 });
  assert.equal((await fetch(`${f.peer.url}/version`)).status, 200, "/version is open to anonymous users");
  assert.equal(f.peer.requests.at(-2)?.status, 401);
});

test("the authorize hook sees request attributes and denials are 403 Forbidden", async (t) => {
  const seen: RequestAttributes[] = [];
  const f = await startKubeFixture({
    token: "admin-token",
    tokens: { "reader-token": { username: "reader", groups: ["readers"] } },
    authorize: (a) => {
      seen.push(a);
      if (a.user.username !== "reader") return true;
      return ["get", "list", "watch"].includes(a.verb) ? true : { allowed: false, reason: "only reads are allowed" };
    },
  });
  t.after(() => f.close());
  const reader = kubeConfigFor(f.peer, "reader-token");
  const co = reader.makeApiClient(CoreV1Api);
  await co.listNamespacedPod({ namespace: "default" });
  const denied = await expectApiError(() => co.deleteNamespacedPod({ name: "x", namespace: "default" }));
  assert.equal(denied.code, 403);
  assert.equal(denied.status.message, 'pods "x" is forbidden: User "reader" cannot delete resource "pods" in API group "" in the namespace "default": only reads are allowed');
  assert.deepEqual(denied.status.details, { name: "x", kind: "pods" });
  const cluster = await expectApiError(() => co.createNamespace({ body: { metadata: { name: "n" } } }));
  assert.equal(cluster.status.message, 'namespaces is forbidden: User "reader" cannot create resource "namespaces" in API group "" at the cluster scope: only reads are allowed');
  await f.co.patchNamespacedCustomObjectStatus({ group: GROUP, version: VERSION, namespace: "default", plural: "azureassignedidentities", name: "missing", body: [] }).catch(() => undefined);
  const status = seen.at(-1);
  assert.deepEqual(status && { user: status.user.username, verb: status.verb, group: status.group, resource: status.resource, subresource: status.subresource, namespace: status.namespace, name: status.name },
    { user: "admin", verb: "patch", group: GROUP, resource: "azureassignedidentities", subresource: "status", namespace: "default", name: "missing" });
  assert.ok(seen.some((a) => a.user.groups.includes("readers") && a.user.groups.includes("system:authenticated")));
});

test("injected errors and latency", async (t) => {
  const f = await startKubeFixture();
  t.after(() => f.close());
  f.peer.injectError({ method: "POST", pathPrefix: "/api/v1/namespaces/default/secrets", status: 429, retryAfterSeconds: 2, times: 2 });
  const body = { metadata: { name: "s" }, stringData: { k: "v" } };
  for (let i = 0; i < 2; i++) {
    const e = await expectApiError(() => f.core.createNamespacedSecret({ namespace: "default", body }));
    assert.equal(e.code, 429);
    assert.equal(e.status.reason, "TooManyRequests");
  }
  await f.core.createNamespacedSecret({ namespace: "default", body });
  f.peer.injectError({ status: 500, times: 1 });
  assert.equal((await expectApiError(() => f.core.listNamespace())).code, 500);
  f.peer.injectLatency(150);
  const began = Date.now();
  await f.core.listNamespace();
  assert.ok(Date.now() - began >= 140);
  f.peer.injectLatency(0);
  const r = await fetch(`${f.peer.url}/api/v1/namespaces`, { method: "GET" });
  assert.equal(r.status, 200);
  f.peer.injectError({ status: 503, times: 1, retryAfterSeconds: 1 });
  assert.equal((await fetch(`${f.peer.url}/api/v1/namespaces`)).headers.get("retry-after"), "1");
});
