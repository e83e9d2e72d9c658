// Human report of a diagnosis: one block per link of the chain (pod → node → NMI → bindings →
// exceptions → assignments → MIC → NMI log), then the verdict line.
import { dash, fields, table } from "../render/table.ts";
import type { DiagnosisFacts, MicFacts, NmiFacts, NmiLogFacts } from "./facts.ts";
import type { Verdict } from "./verdict.ts";

const TYPE_NAMES = ["MSI", "SP-secret", "SP-cert"] as const;

export function renderDiagnosis(f: DiagnosisFacts, v: Verdict): string {
  const p = f.pod;
  const out: string[] = [];
  out.push(fields([
    ["Pod", `${p.namespace}/${p.name}`],
    ["Phase", dash(p.phase) + (p.terminating ? " (terminating)" : "")],
    ["Node", dash(p.node)],
    ["IP", p.hostNetwork ? `${dash(p.ip)} (hostNetwork: not intercepted by NMI)` : dash(p.ip)],
    ["Selector", p.selector === undefined ? "- (no aadpodidbinding label)" : `aadpodidbinding=${p.selector}`],
    ["Host", f.node === undefined ? "-" : !f.node.found ? `node ${f.node.name} not found` : f.node.host ? `${f.node.host.kind} ${f.node.host.name}` : `unknown (${f.node.hostError ?? "?"})`],
    ["NMI", nmiLine(f.nmi)],
    ["Mode", `${f.mode}${f.forceNamespaced ? ", forceNamespaced" : ""}`],
  ]));
  out.push("", "Bindings:");
  if (f.bindings.matches.length === 0 && f.bindings.rejected.length === 0) {
    out.push(`  none select this pod (selectors in the cluster: ${f.bindings.selectorsInCluster.join(", ") || "none"})`);
  } else {
    out.push(table(["binding", "identity", "type", "client id", "result"], [
      ...f.bindings.matches.map((m) => [m.binding, `${m.identity.namespace}/${m.identity.name}`, TYPE_NAMES[m.identity.type], dash(m.identity.clientId), "selected"]),
      ...f.bindings.rejected.map((r) => [r.binding, r.identity, "-", "-", `rejected: ${r.reason}`]),
    ], "  "));
  }
  out.push("", "Exceptions:");
  out.push(f.exceptions.length === 0 ? "  none apply" : table(["exception", "matching labels"],
    f.exceptions.map((e) => [`${e.namespace}/${e.name}`, Object.entries(e.matchedLabels).map(([k, x]) => `${k}=${x}`).join(",")]), "  "));
  out.push("", "AzureAssignedIdentities:");
  out.push(f.assignments.length === 0 ? "  none for this pod" : table(["name", "identity", "node", "status", "message"],
    f.assignments.map((a) => [`${a.namespace}/${a.name}`, a.identity, a.node, a.status, dash(a.message)]), "  "));
  out.push("", `MIC:${micBlock(f.mic)}`);
  out.push("", ...nmiLogBlock(f.nmiLogs));
  out.push("", `Verdict: ${v.line}`);
  return out.join("\n") + "\n";
}

function nmiLine(n: NmiFacts): string {
  switch (n.state) {
    case "found": {
      const ready = n.pod.ready === undefined ? "" : n.pod.ready ? ", ready" : ", NOT ready";
      const others = n.others.length > 0 ? ` (also: ${n.others.join(", ")})` : "";
      return `${n.pod.namespace}/${n.pod.name} (${n.pod.phase}${ready})${others}`;
    }
    case "missing": return `none on this node (namespace ${n.namespace}, selector ${n.selector})`;
    case "error": return `unknown: ${n.error}`;
    case "skipped": return `skipped: ${n.reason}`;
  }
}

function micBlock(m: MicFacts): string {
  if (m.state === "skipped") return ` skipped (${m.reason})`;
  if (m.state === "error") return ` unavailable: ${m.error}`;
  const h = m.host;
  if (!h) return ` cluster "${m.cluster}": the MIC has no record of this host`;
  const pending = h.pending;
  return "\n" + fields([
    ["Host", h.hostId],
    ["Desired", h.desired === undefined ? "-" : String(h.desired.length)],
    ["Assigned", h.actual === undefined ? "-" : String(h.actual.length)],
    ["Pending", pending ? `adds ${pending.adds.length}, removes ${pending.removes.length}, skipped ${pending.skipped.length}` : "none"],
    ["Generation", h.generation === undefined ? "-" : `${h.generation} (reconciled ${dash(h.reconciledGeneration)})`],
    ["Last reconcile", dash(h.lastReconciledAt)],
    ["Last error", h.lastError ? `${h.lastError.code}: ${h.lastError.message}` : "none"],
  ], "  ");
}

function nmiLogBlock(l: NmiLogFacts): string[] {
  if (l.state === "skipped") return [`NMI log: skipped (${l.reason})`];
  if (l.state === "error") return [`NMI log: unavailable: ${l.error}`];
  const head = `NMI log (${l.nmiPod}; ${l.lines.length} line(s) about this pod among ${l.scanned} read):`;
  if (l.lines.length === 0) return [head, "  none"];
  return [head, table(["time", "status", "outcome", "code", "reason", "identity"],
    l.lines.map((x) => [dash(x.time), dash(x.status), dash(x.outcome), dash(x.code), dash(x.reason ?? x.msg), dash(x.identity)]), "  ")];
}
