// The ARM half of reconcileHost (DESIGN §5 steps 1-3): GET → plan a delta → record adds
// (write-ahead) → PATCH chunk(s), each followed by durable-timer polls of its long-running
// operation → GET again to verify. Failures follow errors.ts: per-identity ones drop just those
// ids and go round again at once; retryable ones back off on a durable timer; host-level ones
// stop. Generator code: deterministic, all I/O in activities.
import { resourceIdKey } from "../../../core/index.ts";
import { retryOptions } from "../../runtime.ts";
import type { OrchestrationContext, Task } from "../../runtime.ts";
import { classifyOperationError, identitiesNamedBy, ArmFailureCode, type ArmFailure } from "../arm/errors.ts";
import { checkHostScope, planHostUpdate, type HostUpdatePlan, type IdentityFailure, type IdentityPatch } from "../planner/index.ts";
import type { HostIdentity, OperationPoll, StartedUpdate } from "../arm/types.ts";
import { Activity, type ArmResult, type HostTarget, type LoadHostResult } from "./contracts.ts";
import { pollDelayMs, retryDelayMs, type ReconcileTiming } from "./timing.ts";

/** What one execution learned; reconcile-host.ts turns it into statuses and the host record. */
export interface ConvergeState {
  /** Per-identity permanent failures (ARM's reason). */
  failures: IdentityFailure[];
  /** Ids on the host after the last successful GET; null if no GET succeeded. */
  actual: string[] | null;
  podidAssigned: string[];
  lastPlan: HostUpdatePlan | undefined;
  hostFailure: ArmFailure | undefined;
  /** Set when retries or rounds ran out: the last retryable failure. */
  gaveUp: ArmFailure | undefined;
  retries: number;
  rounds: number;
  writes: number;
}

type Gen<T> = Generator<Task, T, unknown>;

const STORE_RETRY = retryOptions(1_000, 5);

const activityFailure = (e: unknown): ArmFailure => ({
  class: "retryable", code: "PODID_MIC_ACTIVITY_FAILED", message: e instanceof Error ? e.message.split("\n")[0] ?? "" : String(e),
});

/** ARM activities return classified failures; a throw (a bug, a lost worker) counts as retryable. */
function* callArm<T>(ctx: OrchestrationContext, name: string, input: unknown): Gen<ArmResult<T>> {
  try {
    return (yield ctx.df.callActivity(name, input)) as ArmResult<T>;
  } catch (e) {
    return { ok: false, failure: activityFailure(e) };
  }
}

const after = (ctx: OrchestrationContext, ms: number): Task =>
  ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + ms));

/** Backs off before the next try; false when the execution's retry budget is spent. */
function* backOff(ctx: OrchestrationContext, t: ReconcileTiming, st: ConvergeState, failure: ArmFailure): Gen<boolean> {
  st.retries += 1;
  if (st.retries > t.maxRetries) {
    st.gaveUp = failure;
    return false;
  }
  yield after(ctx, retryDelayMs(t, st.retries, failure.retryAfterMs));
  return true;
}

/** Sends one PATCH and waits its operation out on durable timers. */
function* applyPatch(ctx: OrchestrationContext, t: ReconcileTiming, hostId: string, patch: IdentityPatch): Gen<ArmResult<null>> {
  const start = yield* callArm<StartedUpdate>(ctx, Activity.StartUpdate, { hostId, patch });
  if (!start.ok) return start;
  const operation = start.value.operation;
  if (operation === null) return { ok: true, value: null };
  const begin = ctx.df.currentUtcDateTime.getTime();
  let retryAfterMs = start.value.retryAfterMs;
  let pollFailures = 0;
  for (;;) {
    yield after(ctx, pollDelayMs(t, retryAfterMs));
    if (ctx.df.currentUtcDateTime.getTime() - begin > t.maxOperationMs) {
      return { ok: false, failure: { class: "retryable", code: ArmFailureCode.OperationTimeout, message: `the operation did not finish within ${t.maxOperationMs} ms` } };
    }
    const poll = yield* callArm<OperationPoll>(ctx, Activity.PollOperation, { hostId, operation });
    if (!poll.ok) {
      // The status request failed, not the operation: poll again a few times before giving up.
      if (poll.failure.class !== "retryable" || ++pollFailures > 5) return poll;
      retryAfterMs = poll.failure.retryAfterMs;
      continue;
    }
    pollFailures = 0;
    const v = poll.value;
    if (v.status === "running") { retryAfterMs = v.retryAfterMs; continue; }
    if (v.status === "succeeded") return { ok: true, value: null };
    return { ok: false, failure: classifyOperationError(v.status, v.error) };
  }
}

const patchIds = (patch: IdentityPatch): string[] => Object.keys(patch.identity.userAssignedIdentities ?? {});

/** Runs GET → plan → PATCH rounds until the host matches the plan, or a stop condition. */
export function* converge(ctx: OrchestrationContext, t: ReconcileTiming, target: HostTarget, load: LoadHostResult, st: ConvergeState): Gen<void> {
  const failedIds = (): string[] => st.failures.map((f) => f.id);
  if (!checkHostScope(load.hostId, load.nodeResourceGroups).ok) {
    // Scope guard: a host outside the node resource groups gets no request at all, not even a
    // GET. The plan (with nothing known about the host) names the reason for every desired id.
    st.lastPlan = planHostUpdate({
      hostId: load.hostId, desired: load.desired, podidAssigned: st.podidAssigned, actual: { type: null, userAssignedIdentities: [] },
      immutable: load.immutable, allowedScopes: load.allowedScopes, nodeResourceGroups: load.nodeResourceGroups,
    });
    return;
  }
  for (;;) {
    const get = yield* callArm<HostIdentity>(ctx, Activity.GetHost, { hostId: load.hostId });
    if (!get.ok) {
      if (get.failure.class === "host") { st.hostFailure = get.failure; return; }
      if (yield* backOff(ctx, t, st, get.failure)) continue;
      return;
    }
    st.actual = Object.keys(get.value.userAssignedIdentities);
    const plan = planHostUpdate({
      hostId: load.hostId, desired: load.desired, podidAssigned: st.podidAssigned, failedPermanently: failedIds(),
      actual: { type: get.value.type, userAssignedIdentities: get.value.userAssignedIdentities },
      immutable: load.immutable, allowedScopes: load.allowedScopes, nodeResourceGroups: load.nodeResourceGroups,
    });
    st.lastPlan = plan;
    if (plan.hostRejected || plan.patches.length === 0) return; // nothing (more) to write: verified
    if (st.rounds >= t.maxRounds) {
      st.gaveUp = { class: "retryable", code: "PODID_MIC_NOT_CONVERGED", message: `host still differs from the plan after ${st.rounds} rounds` };
      return;
    }
    st.rounds += 1;
    ctx.df.setCustomStatus({ phase: "patching", generation: load.generation, round: st.rounds, adds: plan.adds.length, removes: plan.removes.length, patches: plan.patches.length });
    if (plan.adds.length > 0) {
      // Write-ahead: a crash after the PATCH must not make podid forget an id it added.
      yield ctx.df.callActivityWithRetry(Activity.RecordPodidAssigned, STORE_RETRY, { ...target, hostId: load.hostId, add: plan.adds });
      const known = new Set(st.podidAssigned.map(resourceIdKey));
      st.podidAssigned = [...st.podidAssigned, ...plan.adds.filter((id) => !known.has(resourceIdKey(id)))];
    }
    let failure: ArmFailure | undefined;
    let sent: IdentityPatch | undefined;
    for (const patch of plan.patches) {
      st.writes += 1;
      const r = yield* applyPatch(ctx, t, load.hostId, patch);
      if (!r.ok) { failure = r.failure; sent = patch; break; }
    }
    if (!failure || !sent) continue; // verify with the next GET
    if (failure.class === "identity") {
      const ids = identitiesNamedBy(failure, patchIds(sent));
      if (ids.length > 0) {
        for (const id of ids) st.failures.push({ id, reason: failure.code, message: failure.message });
        continue; // retry the rest at once
      }
      failure = { ...failure, class: "host" }; // names nothing we sent: cannot isolate it
    }
    if (failure.class === "host") { st.hostFailure = failure; return; }
    if (!(yield* backOff(ctx, t, st, failure))) return;
  }
}
