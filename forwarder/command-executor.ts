// Runs a mic-command against the API server: read → plan one step → write → re-plan, until the
// plan says done. Idempotent by construction (a repeated command plans `done` at once; 404 on
// delete is done; AlreadyExists on create takes the update path). 409s re-read and reapply.
import type { MicCommand } from "../core/index.ts";
import type { AssignedIdentityStore } from "./assigned-identity-store.ts";
import { planApply, planDelete, targetNamespace, type PlanStep } from "./command-plan.ts";
import { classifyKubeError, CommandError, describeKubeError, ForwarderErrorCode } from "./errors.ts";

export interface ExecuteOptions {
  /** Re-reads after conflicts before giving up (the message is then abandoned and redelivered). */
  maxAttempts: number;
}

export interface ExecuteResult {
  /** Writes performed, in order (empty when the cluster already matched). */
  steps: Exclude<PlanStep["kind"], "done" | "wait">[];
  conflicts: number;
}

const MAX_STEPS_PER_ATTEMPT = 6;

export async function executeCommand(command: MicCommand, store: AssignedIdentityStore, options: ExecuteOptions): Promise<ExecuteResult> {
  const desired = command.assignedIdentity;
  const namespace = targetNamespace(desired);
  const name = desired.metadata.name;
  const plan = (current: Parameters<typeof planApply>[1]): PlanStep =>
    command.op === "apply" ? planApply(desired, current) : planDelete(current);
  const result: ExecuteResult = { steps: [], conflicts: 0 };

  for (let attempt = 1; attempt <= options.maxAttempts; attempt++) {
    let current = await read(store, namespace, name);
    let previous: PlanStep["kind"] | undefined;
    let restart = false;
    for (let i = 0; i < MAX_STEPS_PER_ATTEMPT && !restart; i++) {
      const step = plan(current);
      if (step.kind === "done") return result;
      if (step.kind === "wait") throw new CommandError(ForwarderErrorCode.Transient, `${namespace}/${name}: ${step.reason}`);
      // The same write twice in a row after a success means the server normalises the object
      // differently from what we ask (defaulting, pruning): accept it rather than loop.
      if (step.kind === previous && step.kind !== "delete") return result;
      previous = step.kind;
      try {
        current = await write(store, namespace, name, step);
        result.steps.push(step.kind);
      } catch (error) {
        if (error instanceof CommandError) throw error;
        const code = classifyKubeError(error, step.kind === "create" ? "create" : "update");
        if (code === ForwarderErrorCode.AlreadyExists || code === ForwarderErrorCode.Conflict || code === ForwarderErrorCode.NotFound) {
          // Someone changed (or removed) the object since we read it: read again, plan again.
          result.conflicts += 1;
          restart = true;
          continue;
        }
        throw new CommandError(code, `${step.kind} ${namespace}/${name}: ${describeKubeError(error)}`, { cause: error });
      }
    }
    if (!restart) throw new CommandError(ForwarderErrorCode.Transient, `${namespace}/${name}: did not converge in ${MAX_STEPS_PER_ATTEMPT} steps`);
  }
  throw new CommandError(ForwarderErrorCode.Conflict, `${namespace}/${name}: still conflicting after ${options.maxAttempts} attempts`);
}

async function read(store: AssignedIdentityStore, namespace: string, name: string): ReturnType<AssignedIdentityStore["get"]> {
  try {
    return await store.get(namespace, name);
  } catch (error) {
    if (error instanceof CommandError) throw error;
    throw new CommandError(classifyKubeError(error), `get ${namespace}/${name}: ${describeKubeError(error)}`, { cause: error });
  }
}

async function write(store: AssignedIdentityStore, namespace: string, name: string, step: PlanStep): ReturnType<AssignedIdentityStore["get"]> {
  switch (step.kind) {
    case "create": return store.create(namespace, step.body);
    case "update": {
      const updated = await store.replace(namespace, name, step.body);
      // Removing the last finalizer of a terminating object deletes it.
      const gone = updated.metadata.deletionTimestamp !== undefined && (updated.metadata.finalizers ?? []).length === 0;
      return gone ? undefined : updated;
    }
    case "updateStatus": return store.replaceStatus(namespace, name, step.body);
    case "delete":
      await store.delete(namespace, name);
      return undefined;
    default: return undefined;
  }
}
