import assert from "node:assert/strict";
import { test } from "node:test";
import {
  bindingSelectsPod, exceptionAppliesToPod, identitiesForPod, isExceptedPod, namespaceAllows,
  type AzureIdentity, type AzureIdentityBinding, type AzurePodIdentityException, type Pod,
} from "../../../core/index.ts";

const pod = (ns: string, labels: Record<string, string> = {}): Pod => ({ metadata: { name: "p", namespace: ns, labels }, spec: { nodeName: "n1" }, status: { phase: "Running" } });
const binding = (ns: string, name: string, identity: string, selector: string): AzureIdentityBinding => ({ metadata: { name, namespace: ns }, spec: { azureIdentity: identity, selector } });
const identity = (ns: string, name: string, namespaced = false): AzureIdentity => ({
  metadata: { name, namespace: ns, ...(namespaced ? { annotations: { "aadpodidentity.k8s.io/Behavior": "namespaced" } } : {}) },
  spec: { type: 0, clientID: `${name}-client`, resourceID: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}` },
});

test("selector matching is exact and case-sensitive", () => {
  const cases: Array<[Record<string, string>, string, boolean, string]> = [
    [{ aadpodidbinding: "web" }, "web", true, "selector-matches"],
    [{ aadpodidbinding: "Web" }, "web", false, "selector-differs"],
    [{ aadpodidbinding: "web " }, "web", false, "selector-differs"],
    [{}, "web", false, "pod-not-labelled"],
    [{ aadpodidbinding: "" }, "web", false, "pod-not-labelled"],
    [{ aadpodidbinding: "web" }, "", false, "binding-has-no-selector"],
  ];
  for (const [labels, selector, ok, reason] of cases) {
    const r = bindingSelectsPod(binding("d", "b", "i", selector), pod("d", labels));
    assert.deepEqual(r, { ok, reason }, JSON.stringify([labels, selector]));
  }
});

test("namespaced identities only serve their own namespace", () => {
  const cases: Array<[AzureIdentity, string, string, boolean, boolean, string]> = [
    [identity("a", "i"), "b", "c", false, true, "not-namespaced"],
    [identity("a", "i", true), "a", "a", false, true, "same-namespace"],
    [identity("a", "i", true), "b", "a", false, false, "binding-in-other-namespace"],
    [identity("a", "i", true), "a", "b", false, false, "pod-in-other-namespace"],
    [identity("a", "i"), "a", "b", true, false, "pod-in-other-namespace"],
  ];
  for (const [id, bindingNs, podNs, force, ok, reason] of cases) {
    assert.deepEqual(namespaceAllows(id, binding(bindingNs, "b", "i", "s"), pod(podNs), force), { ok, reason });
  }
});

test("exceptions match any label in the pod's namespace, values case-insensitively", () => {
  const exc = (ns: string, podLabels: Record<string, string>): AzurePodIdentityException => ({ metadata: { name: "e", namespace: ns }, spec: { podLabels } });
  assert.deepEqual(exceptionAppliesToPod(exc("kube-system", { app: "Custom" }), pod("kube-system", { app: "custom" })), { ok: true, reason: "label-matches" });
  assert.deepEqual(exceptionAppliesToPod(exc("kube-system", { app: "custom", x: "y" }), pod("kube-system", { x: "y" })), { ok: true, reason: "label-matches" });
  assert.deepEqual(exceptionAppliesToPod(exc("kube-system", { app: "custom" }), pod("default", { app: "custom" })), { ok: false, reason: "other-namespace" });
  assert.deepEqual(exceptionAppliesToPod(exc("d", { app: "custom" }), pod("d", { app: "other" })), { ok: false, reason: "no-label-matches" });
  assert.deepEqual(exceptionAppliesToPod(exc("d", {}), pod("d", { app: "custom" })), { ok: false, reason: "no-label-matches" });
  assert.equal(isExceptedPod([exc("d", { app: "x" }), exc("d", { app: "custom" })], pod("d", { app: "custom" })), true);
  assert.equal(isExceptedPod([], pod("d", { app: "custom" })), false);
});

test("identitiesForPod: bindings in any namespace (non-namespaced), sorted, with rejections explained", () => {
  const ids = new Map<string, AzureIdentity>([
    ["a/id-a", identity("a", "id-a")],
    ["b/id-b", identity("b", "id-b", true)],
  ]);
  const lookup = { identity: (ns: string, name: string) => ids.get(`${ns}/${name}`) };
  const bindings = [
    binding("z", "zz", "missing", "web"),
    binding("b", "bb", "id-b", "web"),
    binding("a", "aa", "id-a", "web"),
    binding("a", "other", "id-a", "api"),
  ];
  const { matches, rejected } = identitiesForPod(pod("c", { aadpodidbinding: "web" }), bindings, lookup, false);
  assert.deepEqual(matches.map((m) => m.identity.metadata.name), ["id-a"]);
  assert.deepEqual(rejected.map((r) => [r.binding.metadata.name, r.reason]), [["bb", "pod-in-other-namespace"], ["zz", "identity-not-found"]]);
  const forced = identitiesForPod(pod("a", { aadpodidbinding: "web" }), bindings, lookup, true);
  assert.deepEqual(forced.matches.map((m) => m.binding.metadata.name), ["aa"]);
});
