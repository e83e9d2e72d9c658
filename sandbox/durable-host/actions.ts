// The orchestrator's reply (OrchestratorState, schema V2+): validated with zod because it is
// external input to the host. Action type numbers as in the SDK's ActionType and the
// extension's OutOfProcOrchestrationShim.AsyncActionType.
import { z } from "zod";

export const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CallSubOrchestratorWithRetry: 3,
  ContinueAsNew: 4,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  CallEntity: 7,
  CallHttp: 8,
  SignalEntity: 9,
  WhenAny: 11,
  WhenAll: 12,
} as const;

export const RetryOptionsSchema = z.looseObject({
  firstRetryIntervalInMilliseconds: z.number(),
  maxNumberOfAttempts: z.number(),
  backoffCoefficient: z.number().optional(),
  maxRetryIntervalInMilliseconds: z.number().optional(),
  retryTimeoutInMilliseconds: z.number().optional(),
});
export type RetryOptions = z.infer<typeof RetryOptionsSchema>;

const BaseAction = z.looseObject({
  actionType: z.number(),
  functionName: z.string().optional(),
  input: z.unknown().optional(),
  retryOptions: RetryOptionsSchema.optional(),
  instanceId: z.string().optional(),
  fireAt: z.string().optional(),
  isCanceled: z.boolean().optional(),
  externalEventName: z.string().optional(),
});
export type Action = z.infer<typeof BaseAction> & { compoundActions?: Action[] | undefined };
export const ActionSchema: z.ZodType<Action> = BaseAction.extend({
  get compoundActions(): z.ZodOptional<z.ZodArray<z.ZodType<Action>>> { return z.array(ActionSchema).optional(); },
});

export const OrchestratorStateSchema = z.looseObject({
  isDone: z.boolean(),
  actions: z.array(z.array(ActionSchema)),
  output: z.unknown().optional(),
  error: z.string().optional(),
  customStatus: z.unknown().optional(),
  schemaVersion: z.number().optional(),
});
export type OrchestratorState = z.infer<typeof OrchestratorStateSchema>;

const OUT_OF_PROC_LABEL = "\n\n$OutOfProcData$:";

/**
 * What a failed orchestrator invocation means, as the extension reads it: the SDK throws
 * OrchestrationFailureError whose message is `<error>\n\n$OutOfProcData$:<state JSON>`.
 * Without the label (a crash outside the SDK) there are no actions, only the error.
 */
export function stateFromFailure(message: string): OrchestratorState {
  const at = message.indexOf(OUT_OF_PROC_LABEL);
  if (at < 0) return { isDone: false, actions: [[]], error: message };
  const state = OrchestratorStateSchema.parse(JSON.parse(message.slice(at + OUT_OF_PROC_LABEL.length)));
  return { ...state, error: state.error ?? message.slice(0, at) };
}
