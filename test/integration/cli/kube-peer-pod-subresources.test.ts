// The kube peer's pods/log and pods/proxy subresources (sandbox/peers/kube/pod-subresources.ts),
// driven by @kubernetes/client-node as a real client would.
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, test } from "node:test";
import { ApiException, CoreV1Api } from "@kubernetes/client-node";
import { kubeConfigFor, startKubePeer, type KubePeer } from "../../../sandbox/peers/kube/index.ts";
import { put } from "../../helpers/cli-harness.ts";

let peer: KubePeer;
let core: CoreV1Api;
let backend: http.Server;
let backendPort = 0;
const seen: Array<{ path: string; headers: http.IncomingHttpHeaders }> = [];

before(async () => {
  peer = await startKubePeer({ token: "t0k" });
  core = kubeConfigFor(peer, "t0k").makeApiClient(CoreV1Api);
  backend = http.createServer((req, res) => {
    seen.push({ path: req.url ?? "", headers: req.headers });
    res.writeHead(418, { "Content-Type": "application/json", "X-Backend": "yes" }).end(JSON.stringify({ hello: req.headers.podname ?? null }));
  });
  await new Promise<void>((r) => backend.listen(0, "127.0.0.1", r));
  const a = backend.address();
  backendPort = typeof a === "object" && a ? a.port : 0;
  put(peer, "pods", { metadata: { name: "one", namespace: "default" }, spec: { containers: [{ name: "app", image: "x", ports: [{ containerPort: backendPort }] }] }, status: { phase: "Running", podIP: "127.0.0.1" } });
  put(peer, "pods", { metadata: { name: "two", namespace: "default" }, spec: { containers: [{ name: "a", image: "x" }, { name: "b", image: "x" }] }, status: { phase: "Running" } });
});

after(async () => {
  await peer.close();
  await new Promise<void>((r) => { backend.closeAllConnections(); backend.close(() => r()); });
});

async function apiError(fn: () => Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof ApiException)) throw err;
    const body = (typeof err.body === "string" ? JSON.parse(err.body) : err.body) as { message: string };
    return { code: err.code, message: body.message };
  }
  throw new Error("expected an error");
}

test("pods/log: text/plain, tailLines counts lines, container defaults to the only one", async () => {
  peer.setPodLog("default", "one", "l1\nl2\nl3\n");
  assert.equal(await core.readNamespacedPodLog({ name: "one", namespace: "default" }), "l1\nl2\nl3\n");
  assert.equal(await core.readNamespacedPodLog({ name: "one", namespace: "default", tailLines: 2 }), "l2\nl3\n");
  assert.equal(await core.readNamespacedPodLog({ name: "one", namespace: "default", container: "app", tailLines: 0 }), "");
  peer.appendPodLog("default", "one", "l4\n");
  assert.equal(await core.readNamespacedPodLog({ name: "one", namespace: "default", tailLines: 1 }), "l4\n");
  assert.equal(await core.readNamespacedPodLog({ name: "two", namespace: "default", container: "b" }), "");
});

test("pods/log errors as the real server words them", async () => {
  assert.deepEqual(await apiError(() => core.readNamespacedPodLog({ name: "two", namespace: "default" })),
    { code: 400, message: "a container name must be specified for pod two, choose one of: [a b]" });
  assert.deepEqual(await apiError(() => core.readNamespacedPodLog({ name: "one", namespace: "default", container: "c" })),
    { code: 400, message: "container c is not valid for pod one" });
  assert.deepEqual(await apiError(() => core.readNamespacedPodLog({ name: "nope", namespace: "default" })),
    { code: 404, message: 'pods "nope" not found' });
  assert.equal((await apiError(() => core.readNamespacedPodLog({ name: "one", namespace: "default", tailLines: -1 }))).code, 422);
});

test("pods/proxy: forwards path, query and headers (not credentials) to podIP:port; passes the answer back", async () => {
  const res = await fetch(`${peer.url}/api/v1/namespaces/default/pods/one:${backendPort}/proxy/host/token/?resource=r%2F`, {
    headers: { Authorization: "Bearer t0k", podname: "one", podns: "default" },
  });
  assert.equal(res.status, 418);
  assert.equal(res.headers.get("x-backend"), "yes");
  assert.deepEqual(await res.json(), { hello: "one" });
  const last = seen.at(-1);
  assert.equal(last?.path, "/host/token/?resource=r%2F");
  assert.equal(last?.headers.authorization, undefined);
  assert.equal(last?.headers.podns, "default");
  // No port: the first container port.
  const noPort = await fetch(`${peer.url}/api/v1/namespaces/default/pods/one/proxy/`, { headers: { Authorization: "Bearer t0k" } });
  assert.equal(noPort.status, 418);
  await noPort.text();
  const anon = await fetch(`${peer.url}/api/v1/namespaces/default/pods/one:${backendPort}/proxy/`);
  assert.equal(anon.status, 401);
  await anon.text();
});

test("pods/proxy: nothing listening → 503 ServiceUnavailable Status; unknown pod → 404", async () => {
  const res = await fetch(`${peer.url}/api/v1/namespaces/default/pods/one:1/proxy/x`, { headers: { Authorization: "Bearer t0k" } });
  assert.equal(res.status, 503);
  const body = await res.json() as { kind: string; reason: string; message: string };
  assert.deepEqual([body.kind, body.reason, body.message], ["Status", "ServiceUnavailable", "error trying to reach service: dial tcp 127.0.0.1:1: connect: connection refused"]);
  const gone = await fetch(`${peer.url}/api/v1/namespaces/default/pods/ghost:80/proxy/`, { headers: { Authorization: "Bearer t0k" } });
  assert.equal(gone.status, 404);
  await gone.text();
});
