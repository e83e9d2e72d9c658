// Security: a pod only ever gets tokens for identities bound to it — whatever it asks for,
// whatever is cached, whoever else shares its address or namespace.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { decodeTestToken } from "../../../sandbox/peers/imds/index.ts";
import { assigned, binding, identity, pod } from "../../helpers/nmi-fixtures.ts";
import { NmiHarness } from "../../helpers/nmi-harness.ts";

const RES = "https://management.azure.com/";

describe("standard mode", () => {
  let h: NmiHarness;
  const idA = identity("id-a");
  const idB = identity("id-b");
  const podA = pod("pod-a", { ip: "127.0.0.2", label: "sel-a" });
  const podB = pod("pod-b", { ip: "127.0.0.3", label: "sel-b" });

  before(async () => {
    h = await NmiHarness.start({ nmi: { waitBudgetMs: 800 } });
    h.assignToHost(idA);
    h.assignToHost(idB);
    for (const p of [podA, podB]) await h.apply("pods", p);
    await h.apply("azureassignedidentities", assigned(podA, idA, { status: "Assigned" }));
    await h.apply("azureassignedidentities", assigned(podB, idB, { status: "Assigned" }));
    // B's token is in NMI's cache from here on
    const b = await h.token("127.0.0.3", { resource: RES });
    assert.equal(decodeTestToken(String(b.json.access_token)).appid, idB.spec.clientID);
  });
  after(() => h.close());

  test("pod A asking for B's client_id (any case) → 403 at once, nothing from IMDS", async () => {
    const issued = h.imds.tokenRequests;
    for (const id of [String(idB.spec.clientID), String(idB.spec.clientID).toUpperCase()]) {
      const r = await h.token("127.0.0.2", { resource: RES, client_id: id });
      assert.deepEqual([r.status, r.code], [403, "PODID_NMI_IDENTITY_NOT_PERMITTED"]);
      assert.equal(r.json.access_token, undefined);
      assert.ok(r.ms < 400, "no wait: final answer at once");
    }
    assert.equal(h.imds.tokenRequests, issued);
  });

  test("pod A asking for B's msi_res_id / mi_res_id / object_id → 403", async () => {
    for (const q of [{ msi_res_id: String(idB.spec.resourceID) }, { mi_res_id: String(idB.spec.resourceID).toLowerCase() }, { object_id: "oid-id-b" }]) {
      const r = await h.token("127.0.0.2", { resource: RES, ...q });
      assert.deepEqual([r.status, r.code], [403, "PODID_NMI_IDENTITY_NOT_PERMITTED"], JSON.stringify(q));
    }
  });

  test("pod A without a selector gets A's token, never B's cached one", async () => {
    const r = await h.token("127.0.0.2", { resource: RES });
    assert.equal(r.status, 200);
    assert.equal(decodeTestToken(String(r.json.access_token)).appid, idA.spec.clientID);
    assert.equal(r.json.client_id, idA.spec.clientID);
  });

  test("an unknown source IP gets a transient error after the budget, never a token", async () => {
    const r = await h.token("127.0.0.99", { resource: RES, client_id: String(idB.spec.clientID) });
    assert.deepEqual([r.status, r.code], [404, "PODID_NMI_POD_NOT_FOUND"]);
    assert.ok(r.headers["retry-after"] !== undefined);
  });

  test("an IP shared by two pods is refused (B's twin cannot borrow B's identity)", async () => {
    const twin = pod("pod-twin", { ip: "127.0.0.3", label: "sel-b" });
    await h.apply("pods", twin);
    const r = await h.token("127.0.0.3", { resource: RES });
    assert.deepEqual([r.status, r.code], [404, "PODID_NMI_POD_AMBIGUOUS"]);
    await h.delete("pods", "default", "pod-twin");
    const again = await h.token("127.0.0.3", { resource: RES });
    assert.equal(again.status, 200);
  });

  test("a terminated or deleted pod's IP no longer maps to it", async () => {
    const gone = pod("pod-gone", { ip: "127.0.0.20", label: "sel-b" });
    await h.apply("pods", gone);
    await h.apply("azureassignedidentities", assigned(gone, idB, { status: "Assigned" }));
    assert.equal((await h.token("127.0.0.20", { resource: RES })).status, 200);
    await h.apply("pods", pod("pod-gone", { ip: "127.0.0.20", label: "sel-b", phase: "Succeeded" }));
    assert.equal((await h.token("127.0.0.20", { resource: RES })).code, "PODID_NMI_POD_NOT_FOUND");
  });

  test("the node itself is not a pod; /host/token/ only from loopback", async () => {
    const node = await h.token("127.0.0.1", { resource: RES });
    assert.deepEqual([node.status, node.code], [403, "PODID_NMI_HOST_CALLER"]);
    const fromPod = await h.request(`/host/token/?resource=${encodeURIComponent(RES)}`, { from: "127.0.0.2", headers: { podns: "default", podname: "pod-b" } });
    assert.deepEqual([fromPod.status, fromPod.code], [403, "PODID_NMI_HOST_ONLY"]);
    const noHeaders = await h.request(`/host/token/?resource=${encodeURIComponent(RES)}`, { from: "127.0.0.1" });
    assert.deepEqual([noHeaders.status, noHeaders.code], [400, "PODID_NMI_HOST_HEADERS_REQUIRED"]);
    const host = await h.request(`/host/token/?resource=${encodeURIComponent(RES)}`, { from: "127.0.0.1", headers: { podns: "default", podname: "pod-b" } });
    assert.equal(host.status, 200, host.text);
    assert.equal(host.json.clientid, idB.spec.clientID);
    const tok = host.json.token as Record<string, string>;
    assert.equal(decodeTestToken(String(tok.access_token)).appid, idB.spec.clientID);
  });

  test("a pod on another node is not served even if an AAI names it", async () => {
    const far = pod("pod-far", { ip: "127.0.0.30", label: "sel-a", node: "node-b" });
    h.kube.put("pods", JSON.parse(JSON.stringify(far)) as never);
    await h.apply("azureassignedidentities", assigned(far, idA, { status: "Assigned", node: "node-a" }));
    const r = await h.token("127.0.0.30", { resource: RES });
    assert.equal(r.code, "PODID_NMI_POD_NOT_FOUND");
  });
});

describe("namespaced (forceNamespaced) standard mode", () => {
  let h: NmiHarness;
  const idTeamA = identity("shared-name", { namespace: "team-a" });
  const podA = pod("p", { namespace: "team-a", ip: "127.0.0.2", label: "sel" });
  const podB = pod("p", { namespace: "team-b", ip: "127.0.0.3", label: "sel" });

  before(async () => {
    h = await NmiHarness.start({ nmi: { waitBudgetMs: 400, forceNamespaced: true } });
    h.kube.ensureNamespace("team-a");
    h.kube.ensureNamespace("team-b");
    h.assignToHost(idTeamA);
    await h.apply("pods", podA);
    await h.apply("pods", podB);
    await h.apply("azureidentities", idTeamA);
    await h.apply("azureidentitybindings", binding("b", "shared-name", "sel", "team-a"));
    await h.apply("azureassignedidentities", assigned(podA, idTeamA, { status: "Assigned", namespace: "team-a" }));
    // a forged/stale AAI handing team-a's identity to team-b's pod
    await h.apply("azureassignedidentities", assigned(podB, idTeamA, { status: "Assigned", namespace: "team-a" }));
  });
  after(() => h.close());

  test("team-a's pod gets its identity; team-b's same-named, same-labelled pod does not", async () => {
    const a = await h.token("127.0.0.2", { resource: RES });
    assert.equal(a.status, 200, a.text);
    const b = await h.token("127.0.0.3", { resource: RES });
    assert.deepEqual([b.status, b.code], [403, "PODID_NMI_NO_IDENTITY_BOUND"]);
    const bExplicit = await h.token("127.0.0.3", { resource: RES, client_id: String(idTeamA.spec.clientID) });
    // nothing is bound to team-b's pod at all, so the more precise "nothing bound" answer
    assert.deepEqual([bExplicit.status, bExplicit.code], [403, "PODID_NMI_NO_IDENTITY_BOUND"]);
    assert.equal(bExplicit.json.access_token, undefined);
  });
});

describe("managed mode", () => {
  let h: NmiHarness;
  const idM = identity("id-m", { namespace: "apps" });
  const idOther = identity("id-other", { namespace: "other" });
  const podM = pod("m", { namespace: "apps", ip: "127.0.0.2", label: "web" });
  const podO = pod("o", { namespace: "other", ip: "127.0.0.3", label: "web" });

  before(async () => {
    h = await NmiHarness.start({ nmi: { mode: "managed", forceNamespaced: true, waitBudgetMs: 400 } });
    for (const ns of ["apps", "other"]) h.kube.ensureNamespace(ns);
    h.assignToHost(idM);
    h.assignToHost(idOther);
    await h.apply("pods", podM);
    await h.apply("pods", podO);
    await h.apply("azureidentities", idM);
    await h.apply("azureidentities", idOther);
    await h.apply("azureidentitybindings", binding("web", "id-m", "web", "apps"));
  });
  after(() => h.close());

  test("bindings in the pod's namespace grant without any AzureAssignedIdentity", async () => {
    const r = await h.token("127.0.0.2", { resource: RES });
    assert.equal(r.status, 200, r.text);
    assert.equal(decodeTestToken(String(r.json.access_token)).appid, idM.spec.clientID);
  });

  test("same selector in another namespace grants nothing there; other namespace's identity is refused", async () => {
    const o = await h.token("127.0.0.3", { resource: RES });
    assert.deepEqual([o.status, o.code], [403, "PODID_NMI_NO_IDENTITY_BOUND"]);
    const m = await h.token("127.0.0.2", { resource: RES, client_id: String(idOther.spec.clientID) });
    assert.deepEqual([m.status, m.code], [403, "PODID_NMI_IDENTITY_NOT_PERMITTED"]);
  });
});
