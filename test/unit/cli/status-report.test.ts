// `podid status` data: MIC hosts joined with per-node AzureAssignedIdentity counts.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { AzureAssignedIdentity, Node } from "../../../core/index.ts";
import type { MicStatus } from "../../../cli/mic/status-client.ts";
import { renderStatus } from "../../../cli/status/render.ts";
import { buildStatusReport } from "../../../cli/status/report.ts";

const RG = "/subscriptions/sub/resourceGroups/mc_rg/providers/Microsoft.Compute";
const node = (name: string, providerID?: string): Node => ({ metadata: { name }, spec: providerID === undefined ? {} : { providerID } });
const aai = (name: string, nodename: string, status?: string): AzureAssignedIdentity => ({
  metadata: { name, namespace: "default" }, spec: { pod: name, podNamespace: "default", nodename }, ...(status === undefined ? {} : { status: { status } }),
});
const nodes = [
  node("node-a0", `azure://${RG}/virtualMachineScaleSets/vmss-a/virtualMachines/0`),
  node("node-a1", `azure://${RG}/virtualMachineScaleSets/vmss-a/virtualMachines/1`),
  node("node-b0", `azure://${RG.toLowerCase()}/virtualMachineScaleSets/VMSS-B/virtualMachines/0`),
  node("kind-node"),
];
const assigned = [aai("p1", "node-a0", "Assigned"), aai("p2", "node-a1"), aai("p3", "node-a1", "Created"), aai("p4", "node-b0", "Failed"), aai("p5", "kind-node", "Failed")];
const mic: MicStatus = {
  cluster: "c1",
  hosts: [
    { hostId: `${RG}/virtualMachineScaleSets/vmss-a`, desired: ["i1", "i2"], actual: ["i1"], generation: 4, reconciledGeneration: 3, pending: { adds: ["i2"], removes: [], skipped: [] }, lastError: null },
    { hostId: `${RG}/virtualMachineScaleSets/vmss-b`, desired: ["i3"], actual: [], pending: { adds: [], removes: [], skipped: [{ id: "i3", reason: "identity-outside-allowed-scopes" }] },
      lastError: { code: "LinkedAuthorizationFailed", message: "no assign permission" } },
  ],
};

test("hosts merge MIC records and node counts (host ids compared case-insensitively); problems listed", () => {
  const r = buildStatusReport({ nodes, assigned, mic: { state: "ok", cluster: "c1", status: mic } });
  assert.deepEqual(r.hosts.map((h) => [h.name, h.nodes, h.desired, h.assigned, h.pendingAdds, h.reconcileLag, h.assignments, h.knownToMic]), [
    ["vmss-a", ["node-a0", "node-a1"], 2, 1, 1, 1, { Assigned: 2, Created: 1, Failed: 0, Unassigned: 0 }, true],
    ["vmss-b", ["node-b0"], 1, 0, 0, 0, { Assigned: 0, Created: 0, Failed: 1, Unassigned: 0 }, true],
  ]);
  assert.deepEqual(r.nodes.map((n) => [n.node, n.host]), [["kind-node", undefined], ["node-a0", "vmss-a"], ["node-a1", "vmss-a"], ["node-b0", "VMSS-B"]]);
  assert.deepEqual(r.problems, [
    "host vmss-b: last error LinkedAuthorizationFailed: no assign permission",
    "host vmss-b: 1 AzureAssignedIdentity(s) Failed",
    "node kind-node: 1 AzureAssignedIdentity(s) Failed",
  ]);
  const text = renderStatus(r);
  assert.match(text, /^MIC view: cluster "c1"/);
  assert.match(text, /HOST\s+NODES\s+DESIRED\s+ASSIGNED\s+PENDING/);
  assert.match(text, /vmss-a\s+2\s+2\s+1\s+\+1 reconcile due \(1\)\s+2\/1\/0\/0/);
  assert.match(text, /vmss-b: i3 skipped \(identity-outside-allowed-scopes\)/);
  assert.match(text, /Problems:\n {2}host vmss-b: last error LinkedAuthorizationFailed/);
});

test("without the MIC: hosts from providerIDs only, no errors when nothing Failed", () => {
  const r = buildStatusReport({ nodes, assigned: assigned.slice(0, 3), mic: { state: "skipped", reason: "no --mic-url" } });
  assert.deepEqual(r.hosts.map((h) => [h.name, h.desired, h.knownToMic]), [["vmss-a", undefined, false], ["VMSS-B", undefined, false]]);
  assert.deepEqual(r.problems, []);
  const text = renderStatus(r);
  assert.match(text, /MIC view: skipped \(no --mic-url\)/);
  assert.match(text, /No errors\.\n$/);
});
