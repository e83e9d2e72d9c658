// Bookkeeping of the ids podid added to a host — the only ids it may ever remove.
// Protocol for the orchestration (write-ahead, so a crash between PATCH and record never
// makes podid forget an identity it added):
//   1. before the PATCHes: record `beforePatch(previous, plan.adds)`;
//   2. after the verify GET: record `afterVerify(recorded, actualAfter)`.
import { ResourceIdSet } from "./id-set.ts";

/** previous ∪ adds. */
export function podidAssignedBeforePatch(previous: readonly string[], adds: readonly string[]): string[] {
  return new ResourceIdSet([...previous, ...adds]).values();
}

/**
 * recorded ∩ actualAfter: removed ids, adds ARM refused, and ids someone else removed drop out;
 * a removal that failed stays recorded and is retried.
 */
export function podidAssignedAfterVerify(recorded: readonly string[], actualAfter: readonly string[]): string[] {
  const present = new ResourceIdSet(actualAfter);
  return new ResourceIdSet(recorded.filter((id) => present.has(id))).values();
}
