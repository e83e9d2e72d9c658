// reconcileHost (DESIGN §5): one instance per host (instance-id.ts), so one ARM write in flight
// per host. Coalescing window (quiet-period.ts) → load → converge (GET/PATCH/poll, converge.ts)
// → publish AzureAssignedIdentity statuses → markReconciled → continueAsNew when the host's
// generation moved meanwhile (every change that arrived during the PATCH goes into one
// follow-up), else a short grace period (grace-period.ts) for an `inputsChanged` that raced the
// last read, then finish.
import { retryOptions } from "../../runtime.ts";
import type { OrchestrationContext, Task } from "../../runtime.ts";
import { ArmFailureCode } from "../arm/errors.ts";
import type { IdentityFailure } from "../planner/index.ts";
import type { HostError, HostPendingSummary } from "../state/index.ts";
import {
  Activity, type LoadHostResult, type MarkReconciledResult, type PublishStatusesResult, type ReconcileInput,
} from "./contracts.ts";
import { converge, type ConvergeState } from "./converge.ts";
import { lateChange } from "./grace-period.ts";
import type { ReconcileTiming } from "./timing.ts";
import { quietPeriod } from "./quiet-period.ts";

export interface ReconcileOutput {
  generation: number;
  execution: number;
  skipped: boolean;
  writes: number;
  retries: number;
  counts: PublishStatusesResult["counts"] | null;
  error: HostError | null;
  next: "continueAsNew" | "done";
}

const STORE_RETRY = retryOptions(1_000, 5);

/** Skipped ids become Failed statuses, except those podid keeps on purpose (immutable). */
function skippedFailures(st: ConvergeState): IdentityFailure[] {
  const known = new Set(st.failures.map((f) => f.id.toLowerCase()));
  return (st.lastPlan?.skipped ?? [])
    .filter((s) => s.reason !== "immutable" && !known.has(s.id.toLowerCase()))
    .map((s) => ({ id: s.id, reason: s.reason, message: s.message }));
}

function hostError(st: ConvergeState, at: string): HostError | null {
  if (st.hostFailure) return { code: st.hostFailure.code, message: st.hostFailure.message, at };
  const rejected = st.lastPlan?.hostRejected;
  if (rejected) return { code: rejected.reason, message: rejected.message, at };
  if (st.gaveUp) return { code: st.gaveUp.code, message: `gave up after ${st.retries} retries / ${st.rounds} rounds: ${st.gaveUp.message}`, at };
  if (st.failures.length > 0) {
    const list = st.failures.map((f) => `${f.id} (${f.reason})`).join(", ");
    return { code: ArmFailureCode.IdentityRejected, message: `ARM refused ${st.failures.length} identit${st.failures.length === 1 ? "y" : "ies"}: ${list}`, at };
  }
  return null;
}

function pending(st: ConvergeState, counts: PublishStatusesResult["counts"] | null): HostPendingSummary | null {
  const plan = st.lastPlan;
  const verified = st.actual !== null ? { verified: st.actual } : {};
  if (!plan) return counts ? { adds: [], removes: [], skipped: [], assignments: counts, ...verified } : null;
  return {
    adds: plan.patches.length > 0 ? plan.adds : [],
    removes: plan.patches.length > 0 ? plan.removes : [],
    skipped: plan.skipped.map((s) => ({ id: s.id, reason: s.reason })),
    ...(counts ? { assignments: counts } : {}),
    ...verified,
  };
}

export function reconcileHostOrchestrator(timing: ReconcileTiming) {
  return function* reconcileHost(ctx: OrchestrationContext): Generator<Task, ReconcileOutput, unknown> {
    const input = ctx.df.getInput<ReconcileInput>();
    const target = { cluster: input.cluster, hostKey: input.hostKey, hostId: input.hostId };
    const execution = input.execution ?? 0;
    // Coalescing: pods of a burst arrive as one event each; one PATCH should carry them all.
    ctx.df.setCustomStatus({ phase: "coalescing", execution });
    yield* quietPeriod(ctx, timing, target, STORE_RETRY);
    const load = (yield ctx.df.callActivityWithRetry(Activity.LoadHost, STORE_RETRY, target)) as LoadHostResult;
    const st: ConvergeState = {
      failures: [...(input.failed ?? [])], actual: null, podidAssigned: load.podidAssigned,
      lastPlan: undefined, hostFailure: undefined, gaveUp: undefined, retries: 0, rounds: 0, writes: 0,
    };
    // Woken by an event although nothing changed since the previous execution verified the host.
    const skipped = input.verifiedGeneration !== undefined && load.generation <= input.verifiedGeneration;
    let counts: PublishStatusesResult["counts"] | null = null;
    let error: HostError | null = null;
    let known = load.generation;
    if (!skipped) {
      const nothingOnArm = load.desired.length === 0 && load.podidAssigned.length === 0;
      ctx.df.setCustomStatus({ phase: "converging", generation: load.generation, execution });
      if (!nothingOnArm) yield* converge(ctx, timing, target, load, st);
      const at = ctx.df.currentUtcDateTime.toISOString();
      const hostFailure = st.hostFailure ? { id: load.hostId, reason: st.hostFailure.code, message: st.hostFailure.message } : undefined;
      const published = (yield ctx.df.callActivityWithRetry(Activity.PublishStatuses, STORE_RETRY, {
        ...target, hostId: load.hostId, generation: load.generation,
        actualAfter: nothingOnArm ? [] : st.actual, failures: [...st.failures, ...skippedFailures(st)],
        ...(hostFailure ? { hostFailure } : {}),
      })) as PublishStatusesResult;
      counts = published.counts;
      error = hostError(st, at);
      const marked = (yield ctx.df.callActivityWithRetry(Activity.MarkReconciled, STORE_RETRY, {
        ...target, hostId: load.hostId, generation: load.generation, at, error, pending: pending(st, counts),
        actualAfter: nothingOnArm ? null : st.actual,
      })) as MarkReconciledResult;
      if (marked.generation > load.generation) {
        // Inputs changed while we worked: one more round covers all of them.
        ctx.df.continueAsNew({ ...target, execution: execution + 1, failed: st.failures } satisfies ReconcileInput);
        return { generation: load.generation, execution, skipped, writes: st.writes, retries: st.retries, counts, error, next: "continueAsNew" };
      }
      known = marked.generation;
    }
    ctx.df.setCustomStatus({ phase: "idle", generation: load.generation, execution });
    if (yield* lateChange(ctx, timing, known)) {
      ctx.df.continueAsNew({
        ...target, execution: execution + 1, failed: st.failures, verifiedGeneration: load.generation,
      } satisfies ReconcileInput);
      return { generation: load.generation, execution, skipped, writes: st.writes, retries: st.retries, counts, error, next: "continueAsNew" };
    }
    return { generation: load.generation, execution, skipped, writes: st.writes, retries: st.retries, counts, error, next: "done" };
  };
}
