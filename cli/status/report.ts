// `podid status` as data: the MIC's per-host records (desired vs assigned, pending work, last
// error) joined with the cluster's AzureAssignedIdentity counts per node and per host. Pure.
import { effectiveAssignedStatus, hostFromProviderId, resourceIdKey, type AzureAssignedIdentity, type Node } from "../../core/index.ts";
import { reconcileLag, type MicStatus } from "../mic/status-client.ts";

export interface StatusCounts { Assigned: number; Created: number; Failed: number; Unassigned: number }

export interface HostRow {
  hostId: string;
  name: string;
  nodes: string[];
  desired: number | undefined;
  assigned: number | undefined;
  pendingAdds: number;
  pendingRemoves: number;
  skipped: Array<{ id: string; reason: string }>;
  /** generation − reconciledGeneration: reconciles due. */
  reconcileLag: number;
  lastReconciledAt: string | undefined;
  lastError: { code: string; message: string; at?: string | undefined } | undefined;
  /** AzureAssignedIdentities on the host's nodes, by status (from the cluster). */
  assignments: StatusCounts;
  /** The MIC has a record of this host. */
  knownToMic: boolean;
}

export interface NodeRow { node: string; host: string | undefined; assignments: StatusCounts }

export interface StatusReport {
  mic: { state: "skipped"; reason: string } | { state: "ok"; cluster: string };
  hosts: HostRow[];
  nodes: NodeRow[];
  /** One line per host or node with an error; non-empty → exit 1. */
  problems: string[];
}

const zero = (): StatusCounts => ({ Assigned: 0, Created: 0, Failed: 0, Unassigned: 0 });

function add(c: StatusCounts, status: string): void {
  if (status === "Assigned" || status === "Created" || status === "Failed" || status === "Unassigned") c[status]++;
}

function lastSegment(id: string): string {
  return id.replace(/\/+$/, "").split("/").pop() ?? id;
}

export function buildStatusReport(input: {
  nodes: readonly Node[];
  assigned: readonly AzureAssignedIdentity[];
  mic: { state: "skipped"; reason: string } | { state: "ok"; cluster: string; status: MicStatus };
}): StatusReport {
  const hostOfNode = new Map<string, { id: string; name: string }>();
  for (const n of input.nodes) {
    try {
      const h = hostFromProviderId(n.spec.providerID);
      hostOfNode.set(n.metadata.name, { id: h.id, name: h.name });
    } catch {
      // nodes without an Azure providerID have no host; they still get a node row
    }
  }
  const byNode = new Map<string, StatusCounts>();
  for (const a of input.assigned) {
    const c = byNode.get(a.spec.nodename) ?? zero();
    add(c, effectiveAssignedStatus(a));
    byNode.set(a.spec.nodename, c);
  }
  const nodeNames = [...new Set([...input.nodes.map((n) => n.metadata.name), ...byNode.keys()])].sort();
  const nodes: NodeRow[] = nodeNames.map((node) => ({ node, host: hostOfNode.get(node)?.name, assignments: byNode.get(node) ?? zero() }));

  const hosts = new Map<string, HostRow>();
  const row = (id: string, name: string): HostRow => {
    const key = resourceIdKey(id);
    let r = hosts.get(key);
    if (!r) {
      r = {
        hostId: id, name, nodes: [], desired: undefined, assigned: undefined, pendingAdds: 0, pendingRemoves: 0, skipped: [],
        reconcileLag: 0, lastReconciledAt: undefined, lastError: undefined, assignments: zero(), knownToMic: false,
      };
      hosts.set(key, r);
    }
    return r;
  };
  if (input.mic.state === "ok") {
    for (const h of input.mic.status.hosts) {
      const r = row(h.hostId, h.name ?? lastSegment(h.hostId));
      r.knownToMic = true;
      r.desired = h.desired?.length;
      r.assigned = h.actual?.length;
      r.pendingAdds = h.pending?.adds.length ?? 0;
      r.pendingRemoves = h.pending?.removes.length ?? 0;
      r.skipped = h.pending?.skipped ?? [];
      r.reconcileLag = reconcileLag(h);
      r.lastReconciledAt = h.lastReconciledAt ?? undefined;
      r.lastError = h.lastError ?? undefined;
      for (const n of h.nodes ?? []) if (!r.nodes.includes(n)) r.nodes.push(n);
    }
  }
  for (const n of nodes) {
    const h = hostOfNode.get(n.node);
    if (!h) continue;
    const r = row(h.id, h.name);
    if (!r.nodes.includes(n.node)) r.nodes.push(n.node);
    for (const k of Object.keys(r.assignments) as Array<keyof StatusCounts>) r.assignments[k] += n.assignments[k];
  }
  const hostRows = [...hosts.values()].sort((a, b) => a.name.localeCompare(b.name));
  for (const r of hostRows) r.nodes.sort();

  const problems: string[] = [];
  for (const r of hostRows) {
    if (r.lastError) problems.push(`host ${r.name}: last error ${r.lastError.code}: ${r.lastError.message}`);
    if (r.assignments.Failed > 0) problems.push(`host ${r.name}: ${r.assignments.Failed} AzureAssignedIdentity(s) Failed`);
  }
  for (const n of nodes) {
    if (n.host === undefined && n.assignments.Failed > 0) problems.push(`node ${n.node}: ${n.assignments.Failed} AzureAssignedIdentity(s) Failed`);
  }
  const mic = input.mic.state === "ok" ? { state: "ok" as const, cluster: input.mic.cluster } : input.mic;
  return { mic, hosts: hostRows, nodes, problems };
}
