// Pick the identity to serve (pure). Authorization happens here, on every request, before the
// token cache is consulted: a cached token is only ever returned for the identity chosen here.
import { sameResourceId, type AzureIdentity } from "../../core/index.ts";
import type { NmiErrorCode } from "../errors.ts";
import type { Candidate } from "./allowed-identities.ts";
import type { IdSelector } from "./token-request.ts";

/**
 * AzureIdentity has no object id field upstream; podid reads it from this annotation so that
 * `object_id` requests can be authorized. Without it, `object_id` requests are refused.
 */
export const OBJECT_ID_ANNOTATION = "podid.io/object-id";

export type Selection =
  | { kind: "allow"; identity: AzureIdentity; reason: string }
  | { kind: "wait"; code: NmiErrorCode; reason: string }
  | { kind: "deny"; code: NmiErrorCode; reason: string; description?: string };

export function selectorMatches(identity: AzureIdentity, selector: IdSelector): boolean {
  const v = selector.value.toLowerCase();
  switch (selector.kind) {
    case "client_id":
      return (identity.spec.clientID ?? "").toLowerCase() === v && v !== "";
    case "msi_res_id":
      return identity.spec.resourceID !== undefined && identity.spec.resourceID !== "" && sameResourceId(identity.spec.resourceID, selector.value);
    case "object_id": {
      const oid = identity.metadata.annotations?.[OBJECT_ID_ANNOTATION];
      return oid !== undefined && oid.toLowerCase() === v && v !== "";
    }
  }
}

function fromCandidates(chosen: readonly Candidate[], how: string): Selection {
  const ready = chosen.find((c) => c.state === "ready");
  if (ready) return { kind: "allow", identity: ready.identity, reason: `${how}:${ready.reason}` };
  const pending = chosen.find((c) => c.state === "pending");
  if (pending) return { kind: "wait", code: "PODID_NMI_ASSIGNMENT_PENDING", reason: pending.reason };
  const failed = chosen[0];
  const sel: Selection = { kind: "deny", code: "PODID_NMI_ASSIGNMENT_FAILED", reason: failed?.reason ?? "assignment-failed" };
  if (failed?.message !== undefined) sel.description = `the identity could not be assigned to this node: ${failed.message}`;
  return sel;
}

/**
 * - nothing allowed → 403 at once;
 * - a requested id must be among the allowed identities (ids compare case-insensitively),
 *   else 403 at once — it is not a transient state, whatever the assignment progress;
 * - nothing requested → the first allowed identity in stable order (binding namespace/name,
 *   then identity namespace/name) that has not failed; if it is still being assigned, wait.
 */
export function selectIdentity(candidates: readonly Candidate[], selector: IdSelector | undefined): Selection {
  if (candidates.length === 0) return { kind: "deny", code: "PODID_NMI_NO_IDENTITY_BOUND", reason: "no-identity-bound" };
  if (selector) {
    const matching = candidates.filter((c) => selectorMatches(c.identity, selector));
    if (matching.length === 0) {
      return { kind: "deny", code: "PODID_NMI_IDENTITY_NOT_PERMITTED", reason: `${selector.kind}-not-bound-to-pod` };
    }
    return fromCandidates(matching, `requested-${selector.kind}`);
  }
  const first = candidates.find((c) => c.state !== "failed");
  return fromCandidates(first ? [first] : candidates, candidates.length === 1 ? "single-identity" : "first-in-order");
}
