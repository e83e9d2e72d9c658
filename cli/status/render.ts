// Human rendering of `podid status`.
import { dash, table } from "../render/table.ts";
import type { StatusCounts, StatusReport } from "./report.ts";

const counts = (c: StatusCounts): string => `${c.Assigned}/${c.Created}/${c.Failed}/${c.Unassigned}`;

export function renderStatus(r: StatusReport): string {
  const out: string[] = [];
  out.push(r.mic.state === "ok" ? `MIC view: cluster "${r.mic.cluster}"` : `MIC view: skipped (${r.mic.reason}); hosts below come from the nodes' providerIDs`);
  out.push("");
  if (r.hosts.length === 0) out.push("No hosts.");
  else {
    out.push(table(["host", "nodes", "desired", "assigned", "pending", "aai a/c/f/u", "last reconcile", "last error"], r.hosts.map((h) => [
      h.name,
      String(h.nodes.length),
      dash(h.desired),
      dash(h.assigned),
      pendingText(h.pendingAdds, h.pendingRemoves, h.skipped.length, h.reconcileLag, h.knownToMic),
      counts(h.assignments),
      dash(h.lastReconciledAt),
      h.lastError ? `${h.lastError.code}: ${h.lastError.message}` : "-",
    ])));
  }
  out.push("", table(["node", "host", "aai a/c/f/u"], r.nodes.map((n) => [n.node, dash(n.host), counts(n.assignments)])));
  const skipped = r.hosts.flatMap((h) => h.skipped.map((s) => `  ${h.name}: ${s.id} skipped (${s.reason})`));
  if (skipped.length > 0) out.push("", "Skipped identities:", ...skipped);
  out.push("", r.problems.length === 0 ? "No errors." : `Problems:\n${r.problems.map((p) => `  ${p}`).join("\n")}`);
  return out.join("\n") + "\n";
}

function pendingText(adds: number, removes: number, skipped: number, lag: number, known: boolean): string {
  if (!known) return "-";
  const parts: string[] = [];
  if (adds > 0) parts.push(`+${adds}`);
  if (removes > 0) parts.push(`-${removes}`);
  if (skipped > 0) parts.push(`${skipped} skipped`);
  if (lag > 0) parts.push(`reconcile due (${lag})`);
  return parts.length === 0 ? "none" : parts.join(" ");
}
