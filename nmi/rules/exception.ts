// Exception pods (pure): a pod matching an AzurePodIdentityException in its namespace is not
// intercepted — its request goes to IMDS untouched (as if NMI were not there).
import { exceptionAppliesToPod, type AzurePodIdentityException, type Pod } from "../../core/index.ts";

export type ExceptionDecision =
  | { excepted: true; reason: "exception-label-matches"; exception: string }
  | { excepted: false; reason: "no-exception-applies" };

export function exceptionFor(exceptions: readonly AzurePodIdentityException[], pod: Pod): ExceptionDecision {
  for (const e of exceptions) {
    if (exceptionAppliesToPod(e, pod).ok) {
      return { excepted: true, reason: "exception-label-matches", exception: `${e.metadata.namespace ?? "default"}/${e.metadata.name}` };
    }
  }
  return { excepted: false, reason: "no-exception-applies" };
}
