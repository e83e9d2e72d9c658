// Operating NMI: readiness only after the initial sync (through API-server errors), informers
// that recover from dropped watches and failures, metrics under upstream names, clean logs.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { assigned, identity, pod } from "../../helpers/nmi-fixtures.ts";
import { NmiHarness } from "../../helpers/nmi-harness.ts";

const RES = "https://management.azure.com/";
let h: NmiHarness;
const id = identity("ops-id");
const p = pod("ops-pod", { ip: "127.0.0.2", label: "ops" });

before(async () => {
  h = await NmiHarness.start({
    deferStart: true,
    nmi: { waitBudgetMs: 800 },
    // the first lists of pods and assignments fail: NMI must retry and only then be ready
    beforeNmi: (kube) => {
      kube.injectError({ pathPrefix: "/api/v1/pods", status: 500, times: 2 });
      kube.injectError({ pathPrefix: "/apis/aadpodidentity.k8s.io/v1/azureassignedidentities", status: 503, times: 1 });
    },
  });
});
after(() => h.close());

test("ready only after every informer listed once, despite API-server errors", async () => {
  const starting = h.nmi.start();
  assert.equal(h.nmi.isReady(), false);
  await starting;
  assert.equal(h.nmi.isReady(), true);
  const health = h.nmi.addresses.health.port;
  const ready = await h.request("/readyz", { from: "127.0.0.1", port: health });
  const live = await h.request("/healthz", { from: "127.0.0.1", port: health });
  assert.deepEqual([ready.status, live.status], [200, 200]);
  const podLists = h.kube.requests.filter((r) => r.path === "/api/v1/pods" && !r.query.includes("watch=true"));
  assert.ok(podLists.length >= 3, "pods listed again after failures");
  assert.ok(podLists.every((r) => r.query.includes("fieldSelector=spec.nodeName%3Dnode-a")));
  const aaiLists = h.kube.requests.filter((r) => r.path.endsWith("/azureassignedidentities"));
  assert.ok(aaiLists.every((r) => r.query.includes("labelSelector=nodename%3Dnode-a")));
});

test("informers recover from a network cut and failing re-watches", async () => {
  h.assignToHost(id);
  await h.apply("pods", p);
  await h.apply("azureassignedidentities", assigned(p, id, { status: "Assigned" }));
  h.kube.injectError({ pathPrefix: "/api/v1/pods", status: 500, times: 2 });
  h.kube.dropWatches();
  // a pod created while the pod informer is down is picked up once it recovers
  const late = pod("late-pod", { ip: "127.0.0.3", label: "ops" });
  await h.apply("pods", late);
  await h.apply("azureassignedidentities", assigned(late, id, { status: "Assigned" }));
  const r = await h.token("127.0.0.3", { resource: RES });
  assert.equal(r.status, 200, r.text);
  // and a 410 (compacted history) makes it relist
  h.kube.compact();
  h.kube.expireWatches();
  await h.delete("pods", "default", "late-pod");
  assert.equal((await h.token("127.0.0.3", { resource: RES })).code, "PODID_NMI_POD_NOT_FOUND");
});

test("metrics keep aad-pod-identity's names and add podid_nmi_*", async () => {
  await h.token("127.0.0.2", { resource: RES });
  await h.token("127.0.0.2", { resource: RES });
  await h.token("127.0.0.2", { resource: RES, client_id: "not-mine" });
  const m = await h.metrics();
  for (const name of [
    "aadpodidentity_nmi_operations_duration_seconds_bucket",
    "aadpodidentity_imds_operations_duration_seconds_count",
    "podid_nmi_requests_total",
    "podid_nmi_token_cache_hits_total",
    "podid_nmi_token_cache_misses_total",
    "podid_nmi_upstream_inflight",
    "podid_nmi_pods_indexed",
  ]) {
    assert.match(m, new RegExp(`^${name}`, "m"), name);
  }
  assert.match(m, /# TYPE aadpodidentity_imds_operations_errors_count counter/);
  assert.match(m, /aadpodidentity_nmi_operations_duration_seconds_count\{operation_type="\/metadata\/identity\/oauth2\/token",status_code="200",namespace="default",resource="https:\/\/management.azure.com"\} \d+/);
  assert.match(m, /podid_nmi_requests_total\{outcome="denied",reason="client_id-not-bound-to-pod"\} 1/);
  assert.match(m, /podid_nmi_token_cache_hits_total [1-9]/);
  assert.match(m, /podid_nmi_pods_indexed 1/);
});

test("one JSON log line per request with reason and redacted client id; no tokens", async () => {
  const before = h.logs.length;
  const r = await h.token("127.0.0.2", { resource: RES, client_id: String(id.spec.clientID) });
  assert.equal(r.status, 200);
  const token = String(r.json.access_token);
  const lines = h.logs.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === "request");
  assert.equal(lines.length, 1);
  const line = lines[0] ?? {};
  assert.equal(line.status, 200);
  assert.equal(line.pod, "ops-pod");
  assert.equal(line.namespace, "default");
  assert.equal(typeof line.reqId, "string");
  assert.match(String(line.reason), /requested-client_id:assignment-assigned:cache-hit/);
  const cid = String(id.spec.clientID);
  assert.equal(line.clientId, `${cid.slice(0, 4)}##### REDACTED #####${cid.slice(-4)}`);
  const all = h.logText();
  assert.equal(all.includes(token), false);
  assert.equal(all.includes(token.split(".")[1] ?? "x"), false);
  assert.equal(all.includes(cid), false, "client ids only redacted");
});
