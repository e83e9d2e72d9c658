// Caller → pod (pure). A source IP must map to exactly one active pod on this node; the node
// itself (loopback, host-network pods' IP) is never a pod.
import type { Pod } from "../../core/index.ts";
import type { NmiErrorCode } from "../errors.ts";

export type PodLookupDecision =
  | { ok: true; pod: Pod; reason: "pod-found" }
  | { ok: false; transient: boolean; code: NmiErrorCode; reason: string };

/** `::ffff:10.0.0.1` (IPv4 on a dual-stack socket) → `10.0.0.1`. */
export function normaliseIp(address: string | undefined): string {
  if (address === undefined) return "";
  const lower = address.toLowerCase();
  return lower.startsWith("::ffff:") && lower.includes(".") ? lower.slice(7) : lower;
}

/** The node itself: 127.0.0.1 and ::1. Other 127/8 addresses are pods in tests (netns-less). */
export function isLoopbackHost(ip: string): boolean {
  return ip === "127.0.0.1" || ip === "::1";
}

export interface PodLookupInput {
  ip: string;
  synced: boolean;
  /** Active, non-host-network pods on this node with this IP. */
  pods: readonly Pod[];
  /** True when a host-network pod on this node uses the IP (i.e. it is the node's address). */
  hostNetworkIp: boolean;
}

export function lookupPod(input: PodLookupInput): PodLookupDecision {
  if (input.ip === "") return { ok: false, transient: false, code: "PODID_NMI_INTERNAL", reason: "no-remote-address" };
  if (isLoopbackHost(input.ip)) return { ok: false, transient: false, code: "PODID_NMI_HOST_CALLER", reason: "caller-is-node" };
  if (!input.synced) return { ok: false, transient: true, code: "PODID_NMI_NOT_READY", reason: "informers-not-synced" };
  const [first, ...rest] = input.pods;
  if (first !== undefined && rest.length === 0) return { ok: true, pod: first, reason: "pod-found" };
  if (first !== undefined) return { ok: false, transient: true, code: "PODID_NMI_POD_AMBIGUOUS", reason: "ip-shared-by-pods" };
  if (input.hostNetworkIp) return { ok: false, transient: false, code: "PODID_NMI_HOST_CALLER", reason: "caller-is-host-network" };
  return { ok: false, transient: true, code: "PODID_NMI_POD_NOT_FOUND", reason: "no-pod-with-ip" };
}

/** `/host/token/` (pure): only the node itself may name a pod by headers. */
export function checkHostTokenCaller(
  ip: string,
  podns: string | string[] | undefined,
  podname: string | string[] | undefined,
): { ok: true; namespace: string; name: string; reason: "host-caller" } | { ok: false; code: NmiErrorCode; reason: string } {
  if (!isLoopbackHost(ip)) return { ok: false, code: "PODID_NMI_HOST_ONLY", reason: "caller-not-loopback" };
  if (typeof podns !== "string" || typeof podname !== "string" || podns === "" || podname === "") {
    return { ok: false, code: "PODID_NMI_HOST_HEADERS_REQUIRED", reason: "pod-headers-missing" };
  }
  return { ok: true, namespace: podns, name: podname, reason: "host-caller" };
}
