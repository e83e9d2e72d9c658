// The ARM activities of reconcileHost. Each is one short HTTP exchange and returns a classified
// result instead of throwing, so the orchestrator decides (errors.ts) and the host's own
// activity retries never hide a 409/429 from it. The scope guard is applied again here: no
// write leaves the app for a host or identity outside the configured scopes, whatever the plan.
import { checkHostScope, checkIdentityScope } from "../planner/index.ts";
import { classifyArmError, type ArmFailure } from "../arm/errors.ts";
import type { MicDeps } from "../deps.ts";
import type {
  GetHostResult, PollOperationInput, PollOperationResult, StartUpdateInput, StartUpdateResult,
} from "../orchestration/contracts.ts";

const fail = (failure: ArmFailure) => ({ ok: false as const, failure });

export async function getHostActivity(deps: MicDeps, input: { hostId: string }): Promise<GetHostResult> {
  try {
    return { ok: true, value: await deps.arm.getIdentity(input.hostId) };
  } catch (e) {
    return fail(classifyArmError(e));
  }
}

export async function startUpdateActivity(deps: MicDeps, input: StartUpdateInput): Promise<StartUpdateResult> {
  const { mic } = deps.settings;
  const host = checkHostScope(input.hostId, mic.nodeResourceGroups);
  if (!host.ok) return fail({ class: "host", code: "PODID_MIC_SCOPE_GUARD", message: host.message });
  for (const [id, value] of Object.entries(input.patch.identity.userAssignedIdentities ?? {})) {
    if (value === null) continue; // removing only takes privilege away
    const scope = checkIdentityScope(id, mic.allowedIdentityScopes);
    if (!scope.ok) return fail({ class: "identity", code: "PODID_MIC_SCOPE_GUARD", message: scope.message, named: [id] });
  }
  try {
    const started = await deps.arm.startIdentityUpdate(input.hostId, input.patch);
    deps.logger.info({ hostId: input.hostId, entries: Object.keys(input.patch.identity.userAssignedIdentities ?? {}).length, type: input.patch.identity.type, lro: started.operation !== null }, "mic: identity update started");
    return { ok: true, value: started };
  } catch (e) {
    const failure = classifyArmError(e);
    deps.logger.warn({ hostId: input.hostId, code: failure.code, status: failure.status, class: failure.class }, "mic: identity update refused");
    return fail(failure);
  }
}

export async function pollOperationActivity(deps: MicDeps, input: PollOperationInput): Promise<PollOperationResult> {
  try {
    return { ok: true, value: await deps.arm.pollOperation(input.hostId, input.operation) };
  } catch (e) {
    const failure = classifyArmError(e);
    // A vanished operation says nothing about the host: go back to GET (retryable).
    return fail(failure.status === 404 ? { ...failure, class: "retryable" } : failure);
  }
}
