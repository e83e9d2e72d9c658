// A healthy DiagnosisFacts and small overrides, for the verdict and renderer tables.
import type { AssignmentFact, DiagnosisFacts, MatchedIdentity } from "../../cli/diagnose/facts.ts";

export const HOST_ID = "/subscriptions/sub/resourceGroups/mc_rg/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-a";
export const UAI = "/subscriptions/sub/resourceGroups/ids/providers/Microsoft.ManagedIdentity/userAssignedIdentities/web-id";

export function match(name = "web-id", o: Partial<MatchedIdentity["identity"]> = {}): MatchedIdentity {
  return {
    binding: `default/${name}-binding`,
    identity: { namespace: "default", name, type: 0, clientId: "aaaa##### REDACTED #####zzzz", resourceId: UAI, ...o },
  };
}

export function aai(identity = "web-id", status = "Assigned", o: Partial<AssignmentFact> = {}): AssignmentFact {
  return { namespace: "default", name: `web-1-default-${identity}`, identity: `default/${identity}`, node: "node-a", status, message: undefined, ...o };
}

export function healthyFacts(): DiagnosisFacts {
  return {
    pod: { namespace: "default", name: "web-1", phase: "Running", node: "node-a", ip: "10.0.0.5", hostNetwork: false, terminating: false, selector: "web" },
    node: { name: "node-a", found: true, providerId: `azure://${HOST_ID}/virtualMachines/0`, host: { id: HOST_ID, kind: "vmss", name: "vmss-a" }, hostError: undefined },
    nmi: {
      state: "found", namespace: "podid-system", selector: "app.kubernetes.io/name=podid-nmi", others: [],
      pod: { namespace: "podid-system", name: "podid-nmi-abc", phase: "Running", ready: true, container: "nmi", mode: "standard", forceNamespaced: false, tokenPort: 2579 },
    },
    mode: "standard",
    forceNamespaced: false,
    bindings: { matches: [match()], rejected: [], selectorsInCluster: ["api", "web"] },
    exceptions: [],
    assignments: [aai()],
    mic: { state: "skipped", reason: "no --mic-url (or PODID_MIC_URL) given" },
    nmiLogs: { state: "ok", nmiPod: "podid-nmi-abc", scanned: 3, lines: [] },
  };
}

/** healthyFacts() with `patch` applied to a deep copy. */
export function facts(patch: (f: DiagnosisFacts) => void): DiagnosisFacts {
  const f = structuredClone(healthyFacts());
  patch(f);
  return f;
}
