// Which hosts' inputs differ between two cluster states: the hosts whose orchestration must run
// again after an event. A host counts as changed when its desired identity set changes or any
// desired AAI on it appears, disappears or changes content (type 1/2 AAIs need publishing too).
// Callers may pass partial states (only the objects an event can influence): planning is local
// per pod, so the comparison stays exact for the hosts those objects touch.
import { resourceIdKey } from "../../../core/index.ts";
import { assignmentKey } from "./assigned-identity.ts";
import type { ClusterState } from "./cluster-state.ts";
import { desiredAssignments } from "./desired-assignments.ts";
import { desiredHostIdentities } from "./host-identities.ts";
import type { MicSettings } from "./settings.ts";

export interface HostRef {
  hostKey: string;
  hostId: string;
}

interface Signature {
  hostId: string;
  value: string;
}

function hostSignatures(state: ClusterState, settings: Pick<MicSettings, "forceNamespaced">): Map<string, Signature> {
  const { assignments } = desiredAssignments(state, settings);
  const { hosts } = desiredHostIdentities(assignments, state.nodes);
  const byKey = new Map(assignments.map((a) => [assignmentKey(a), JSON.stringify(a)]));
  const out = new Map<string, Signature>();
  for (const h of hosts) {
    const value = h.assignments.length === 0
      ? ""
      : JSON.stringify([h.identityIds.map(resourceIdKey), h.assignments.map((k) => byKey.get(k))]);
    out.set(h.hostKey, { hostId: h.hostId, value });
  }
  return out;
}

/** Hosts whose desired identities or assignments differ, sorted by hostKey. */
export function changedHosts(before: ClusterState, after: ClusterState, settings: Pick<MicSettings, "forceNamespaced">): HostRef[] {
  const a = hostSignatures(before, settings);
  const b = hostSignatures(after, settings);
  const changed: HostRef[] = [];
  for (const hostKey of new Set([...a.keys(), ...b.keys()])) {
    const sa = a.get(hostKey);
    const sb = b.get(hostKey);
    if ((sa?.value ?? "") !== (sb?.value ?? "")) {
      changed.push({ hostKey, hostId: (sb ?? sa)?.hostId ?? hostKey });
    }
  }
  return changed.sort((x, y) => (x.hostKey < y.hostKey ? -1 : 1));
}
