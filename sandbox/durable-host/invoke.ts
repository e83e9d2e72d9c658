// Calls the app's real handlers through the functions kit, with the payloads the extension
// builds (OrchestrationTriggerAttributeBindingProvider, TaskActivityShim) and reads its replies.
import { InvocationError } from "../functions-kit/index.ts";
import type { CapturedApp, RpcTypedData } from "../functions-kit/index.ts";
import { OrchestratorStateSchema, stateFromFailure } from "./actions.ts";
import type { OrchestratorState } from "./actions.ts";
import type { HistoryEvent } from "./history.ts";
import type { InstanceRecord } from "./store.ts";

/** Replay schema the host claims: V3 (2). V4 (3) only adds entity locks, which we do not play. */
export const SCHEMA_V3 = 2;

export function triggerTypeOf(app: CapturedApp, name: string): string | undefined {
  return app.has(name) ? app.registration(name).triggerType : undefined;
}

export async function invokeOrchestrator(app: CapturedApp, rec: InstanceRecord, history: HistoryEvent[]): Promise<OrchestratorState> {
  // Field names and values as the extension sends them; the SDK prefers upperSchemaVersionNew.
  const payload = {
    history,
    input: rec.input === null ? null : JSON.parse(rec.input) as unknown,
    instanceId: rec.instanceId,
    isReplaying: history.some((e) => e.IsPlayed),
    parentInstanceId: rec.parent?.instanceId ?? null,
    upperSchemaVersion: 1,
    upperSchemaVersionNew: SCHEMA_V3,
    longRunningTimerIntervalDuration: "3.00:00:00",
    maximumShortTimerDuration: "6.00:00:00",
    defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
  };
  try {
    const res = await app.invoke(rec.name, { trigger: { string: JSON.stringify(payload) } });
    return OrchestratorStateSchema.parse(res.returnValue);
  } catch (e) {
    if (e instanceof InvocationError) return stateFromFailure(e.message);
    throw e;
  }
}

/**
 * Activity input as the host hands it over: string typed data holding the action's JSON token
 * text. The SDK already JSON-encoded string inputs (`"Ada"` → `"\"Ada\""`), so a string token is
 * passed as-is and the library's tryJsonParse gives back `Ada`; encoding it again would hand the
 * activity `"Ada"` with quotes.
 */
export function activityInput(input: unknown): RpcTypedData | null {
  if (input === undefined || input === null) return null;
  return { string: typeof input === "string" ? input : JSON.stringify(input) };
}

/** The worker's return value → TaskCompleted.Result (JSON text), as the extension serializes it. */
export function resultJson(td: RpcTypedData | null | undefined): string | null {
  if (!td) return null;
  if (td.string !== undefined) return JSON.stringify(td.string);
  if (td.json !== undefined) return td.json;
  if (td.int !== undefined) return String(td.int);
  if (td.double !== undefined) return String(td.double);
  if (td.bytes !== undefined) return JSON.stringify(Buffer.from(td.bytes).toString("base64"));
  return null;
}

export type ActivityOutcome =
  | { ok: true; result: string | null }
  | { ok: false; reason: string; details: string };

export async function invokeActivity(app: CapturedApp, name: string, input: unknown): Promise<ActivityOutcome> {
  try {
    const res = await app.invoke(name, { trigger: activityInput(input) });
    return { ok: true, result: resultJson(res.response.returnValue) };
  } catch (e) {
    if (!(e instanceof InvocationError)) throw e;
    const cause = e.cause;
    // TaskActivityShim: Reason = "Activity function '<name>' failed: <message>", Details =
    // the serialized exception (a Newtonsoft dump in the real host; a small JSON here).
    return {
      ok: false,
      reason: `Activity function '${name}' failed: ${e.message}`,
      details: JSON.stringify({
        ClassName: "System.Exception",
        Message: e.message,
        StackTraceString: cause instanceof Error ? cause.stack ?? null : null,
      }),
    };
  }
}
