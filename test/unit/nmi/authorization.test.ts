// allowedIdentities + selectIdentity: who may have what, as a table of cases.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { AzureAssignedIdentity, AzureIdentity, AzureIdentityBinding } from "../../../core/index.ts";
import { allowedIdentities } from "../../../nmi/rules/allowed-identities.ts";
import { OBJECT_ID_ANNOTATION, selectIdentity, type Selection } from "../../../nmi/rules/select-identity.ts";
import type { IdSelector } from "../../../nmi/rules/token-request.ts";
import { assigned, binding, identity, pod, uaiId } from "../../helpers/nmi-fixtures.ts";

const podA = pod("a", { ip: "10.0.0.1", label: "sel-a" });
const idA = identity("id-a", { annotations: { [OBJECT_ID_ANNOTATION]: "OID-A" } });
const idA2 = identity("id-a2");
const idB = identity("id-b");
const bindA = binding("bind-a", "id-a", "sel-a");
const bindA2 = binding("bind-a2", "id-a2", "sel-a");
const bindB = binding("bind-b", "id-b", "sel-b");

function run(o: {
  mode?: "standard" | "managed";
  forceNamespaced?: boolean;
  assignedList?: AzureAssignedIdentity[];
  bindings?: AzureIdentityBinding[];
  identities?: AzureIdentity[];
  selector?: IdSelector;
  forPod?: typeof podA;
}): Selection {
  const ids = o.identities ?? [idA, idA2, idB];
  const candidates = allowedIdentities({
    mode: o.mode ?? "standard",
    nodeName: "node-a",
    forceNamespaced: o.forceNamespaced ?? false,
    pod: o.forPod ?? podA,
    assigned: o.assignedList ?? [],
    bindings: o.bindings ?? [],
    identities: { identity: (ns, name) => ids.find((i) => i.metadata.namespace === ns && i.metadata.name === name) },
  });
  return selectIdentity(candidates, o.selector);
}

const clientOf = (i: AzureIdentity): string => i.spec.clientID ?? "";

test("standard mode table", () => {
  const table: Array<[string, Parameters<typeof run>[0], Selection["kind"], string, string?]> = [
    ["nothing bound, pod not labelled for anything", {}, "deny", "PODID_NMI_NO_IDENTITY_BOUND"],
    ["assigned → allow", { assignedList: [assigned(podA, idA, { status: "Assigned" })] }, "allow", "", "id-a"],
    ["legacy empty status = assigned", { assignedList: [assigned(podA, idA)] }, "allow", "", "id-a"],
    ["created → wait", { assignedList: [assigned(podA, idA, { status: "Created" })] }, "wait", "PODID_NMI_ASSIGNMENT_PENDING"],
    ["failed → final", { assignedList: [assigned(podA, idA, { status: "Failed", message: "identity not found" })] }, "deny", "PODID_NMI_ASSIGNMENT_FAILED"],
    ["unassigned → nothing bound", { assignedList: [assigned(podA, idA, { status: "Unassigned" })] }, "deny", "PODID_NMI_NO_IDENTITY_BOUND"],
    ["binding matches but no AAI yet → wait", { bindings: [bindA] }, "wait", "PODID_NMI_ASSIGNMENT_PENDING"],
    ["binding for another selector → nothing", { bindings: [bindB] }, "deny", "PODID_NMI_NO_IDENTITY_BOUND"],
    ["other pod's AAI → nothing", { assignedList: [assigned(pod("b", { label: "sel-b" }), idB, { status: "Assigned" })] }, "deny", "PODID_NMI_NO_IDENTITY_BOUND"],
    ["AAI of another node → nothing", { assignedList: [assigned(podA, idA, { status: "Assigned", node: "node-b" })] }, "deny", "PODID_NMI_NO_IDENTITY_BOUND"],
    ["requested client id assigned", { assignedList: [assigned(podA, idA, { status: "Assigned" })], selector: { kind: "client_id", value: clientOf(idA).toUpperCase() } }, "allow", "", "id-a"],
    ["requested client id of another pod → 403 at once", { assignedList: [assigned(podA, idA, { status: "Assigned" })], selector: { kind: "client_id", value: clientOf(idB) } }, "deny", "PODID_NMI_IDENTITY_NOT_PERMITTED"],
    ["requested id not bound while own is pending → still 403", { bindings: [bindA], selector: { kind: "client_id", value: clientOf(idB) } }, "deny", "PODID_NMI_IDENTITY_NOT_PERMITTED"],
    ["requested msi_res_id (any case)", { assignedList: [assigned(podA, idA, { status: "Assigned" })], selector: { kind: "msi_res_id", value: uaiId("ID-A").toLowerCase(), param: "msi_res_id" } }, "allow", "", "id-a"],
    ["requested msi_res_id of another identity", { assignedList: [assigned(podA, idA, { status: "Assigned" })], selector: { kind: "msi_res_id", value: uaiId("id-b"), param: "mi_res_id" } }, "deny", "PODID_NMI_IDENTITY_NOT_PERMITTED"],
    ["requested object_id via annotation", { assignedList: [assigned(podA, idA, { status: "Assigned" })], selector: { kind: "object_id", value: "oid-a" } }, "allow", "", "id-a"],
    ["object_id unknown → 403", { assignedList: [assigned(podA, idA2, { status: "Assigned" })], selector: { kind: "object_id", value: "oid-a" } }, "deny", "PODID_NMI_IDENTITY_NOT_PERMITTED"],
    ["requested identity still created → wait", { assignedList: [assigned(podA, idA, { status: "Assigned" }), assigned(podA, idA2, { status: "Created" })], selector: { kind: "client_id", value: clientOf(idA2) } }, "wait", "PODID_NMI_ASSIGNMENT_PENDING"],
    ["two assigned, none requested → first in binding order", { assignedList: [assigned(podA, idA2, { status: "Assigned", binding: bindA2 }), assigned(podA, idA, { status: "Assigned", binding: bindA })] }, "allow", "", "id-a"],
    ["first failed, second assigned → second", { assignedList: [assigned(podA, idA, { status: "Failed", binding: bindA }), assigned(podA, idA2, { status: "Assigned", binding: bindA2 })] }, "allow", "", "id-a2"],
    ["first still created → wait (stable choice)", { assignedList: [assigned(podA, idA, { status: "Created", binding: bindA }), assigned(podA, idA2, { status: "Assigned", binding: bindA2 })] }, "wait", "PODID_NMI_ASSIGNMENT_PENDING"],
  ];
  for (const [name, input, kind, code, identityName] of table) {
    const s = run(input);
    assert.equal(s.kind, kind, name);
    if (s.kind === "allow") assert.equal(s.identity.metadata.name, identityName, name);
    else assert.equal(s.code, code, name);
  }
});

test("namespaced identities never cross namespaces", () => {
  const other = pod("a", { namespace: "team-b", ip: "10.0.0.9", label: "sel-a" });
  const nsId = identity("id-a", { namespace: "team-a", namespaced: true });
  // an AAI that (wrongly) gives a team-a namespaced identity to a team-b pod is ignored
  assert.equal(run({ forPod: other, assignedList: [assigned(other, nsId, { status: "Assigned" })] }).kind, "deny");
  // forceNamespaced makes every identity namespaced
  const plain = identity("id-a", { namespace: "team-a" });
  assert.equal(run({ forPod: other, forceNamespaced: true, assignedList: [assigned(other, plain, { status: "Assigned" })] }).kind, "deny");
  assert.equal(run({ forPod: other, forceNamespaced: false, assignedList: [assigned(other, plain, { status: "Assigned" })] }).kind, "allow");
});

test("managed mode: bindings in the pod's namespace grant directly", () => {
  const nsPod = pod("m", { namespace: "team-a", ip: "10.0.0.5", label: "sel" });
  const idM = identity("id-m", { namespace: "team-a" });
  const idOther = identity("id-o", { namespace: "team-b" });
  const ids = [idM, idOther];
  const s = run({ mode: "managed", forceNamespaced: true, forPod: nsPod, identities: ids, bindings: [binding("b", "id-m", "sel", "team-a")] });
  assert.equal(s.kind, "allow");
  // a binding in another namespace (even with the same selector) never applies
  const cross = run({ mode: "managed", forceNamespaced: true, forPod: nsPod, identities: ids, bindings: [binding("b", "id-o", "sel", "team-b")] });
  assert.equal(cross.kind, "deny");
  assert.equal(cross.kind === "deny" ? cross.code : "", "PODID_NMI_NO_IDENTITY_BOUND");
  // requested id of an identity bound elsewhere → 403 at once
  const req = run({ mode: "managed", forceNamespaced: true, forPod: nsPod, identities: ids, bindings: [binding("b", "id-m", "sel", "team-a")], selector: { kind: "client_id", value: clientOf(idOther) } });
  assert.equal(req.kind === "deny" ? req.code : "", "PODID_NMI_IDENTITY_NOT_PERMITTED");
});
