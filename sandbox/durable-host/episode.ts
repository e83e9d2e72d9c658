// One orchestration episode, as DTFx's TaskOrchestrationDispatcher runs it: take the instance's
// pending messages, append OrchestratorStarted(now) and the new events to the history, run the
// orchestrator, replay its actions to find new work, append TaskScheduled/TimerCreated/… (in id
// order), then ExecutionCompleted or ContinueAsNew, then OrchestratorCompleted. A continueAsNew
// starts the next execution at once with [OrchestratorStarted, ExecutionStarted,
// OrchestratorCompleted] and runs it in the same episode, as DTFx's dispatcher loop does.
import { createHash } from "node:crypto";
import { z } from "zod";
import type { CapturedApp } from "../functions-kit/index.ts";
import { EventType, event, executionStarted, str } from "./history.ts";
import type { HistoryEvent, ParentInfo } from "./history.ts";
import { invokeOrchestrator, triggerTypeOf } from "./invoke.ts";
import { Replayer } from "./replay.ts";
import type { Decision, ReplayResult } from "./replay.ts";
import type { OrchestratorState } from "./actions.ts";
import { TERMINAL } from "./store.ts";
import type { EpisodeCommit, InstanceRecord, Message, WorkItem } from "./store.ts";

export interface EpisodeInput {
  app: CapturedApp;
  record: InstanceRecord | undefined;
  /** History of the record's current execution (ignored when a new execution starts). */
  past: HistoryEvent[];
  messages: Message[];
  now: Date;
  newExecutionId: () => string;
}

const ParentSchema = z.object({
  Name: z.string(),
  TaskScheduleId: z.number(),
  OrchestrationInstance: z.object({ InstanceId: z.string(), ExecutionId: z.string() }),
});

function parentOf(e: HistoryEvent): ParentInfo | null {
  const p = ParentSchema.safeParse(e.ParentInstance);
  if (!p.success) return null;
  const o = p.data.OrchestrationInstance;
  return { instanceId: o.InstanceId, executionId: o.ExecutionId, name: p.data.Name, taskScheduledId: p.data.TaskScheduleId };
}

const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

function startAccepted(rec: InstanceRecord | undefined, m: Message): boolean {
  return !rec || rec.executionId !== m.executionId || rec.runtimeStatus === "Pending";
}

/** Child execution ids derive from the parent's so a re-run episode re-sends the same start. */
function childExecutionId(parentExecution: string, taskId: number): string {
  return createHash("sha256").update(`${parentExecution}:${taskId}`).digest("hex").slice(0, 32);
}

function missingFunction(app: CapturedApp, d: Decision): string | undefined {
  if (d.kind === "timer") return undefined;
  const want = d.kind === "task" ? "activityTrigger" : "orchestrationTrigger";
  if (triggerTypeOf(app, d.name) === want) return undefined;
  return `The function '${d.name}' doesn't exist, is disabled, or is not ${d.kind === "task" ? "an activity" : "an orchestrator"} function.`;
}

/** Returns the commit, or undefined when the messages only need to be dropped. */
export async function runEpisode(inp: EpisodeInput): Promise<EpisodeCommit | undefined> {
  const { app, now, messages } = inp;
  const consumed = messages.map((m) => m.id);
  const start = messages.find((m) => m.event.EventType === EventType.ExecutionStarted && startAccepted(inp.record, m));
  let rec = inp.record;
  let past = inp.past.map((e) => ({ ...e, IsPlayed: true }));
  if (start) {
    const e = start.event;
    rec = {
      instanceId: start.instanceId, name: str(e, "Name") ?? "", executionId: start.executionId ?? "",
      runtimeStatus: "Running", input: str(e, "Input") ?? null, output: null, customStatus: null,
      createdTime: rec?.executionId === start.executionId ? rec.createdTime : now.toISOString(),
      lastUpdatedTime: now.toISOString(), parent: parentOf(e),
    };
    past = [];
  }
  if (!rec || (TERMINAL.includes(rec.runtimeStatus) && !start)) return undefined; // DTFx drops these
  const current = rec.executionId;
  const relevant = messages.filter((m) => m.event.EventType !== EventType.ExecutionStarted &&
    (m.executionId === null || m.executionId === current));
  if (!start && relevant.length === 0) return undefined; // only stale messages: DTFx discards them
  let history: HistoryEvent[] = [...past, event(EventType.OrchestratorStarted, now)];
  if (start) history.push({ ...start.event, IsPlayed: false });
  history.push(...relevant.map((m) => ({ ...m.event, IsPlayed: false })));
  let from = past.length;
  const out: { messages: Message[]; work: WorkItem[] } = { messages: [], work: [] };
  const done = (r: InstanceRecord): EpisodeCommit => ({
    instance: { ...r, lastUpdatedTime: now.toISOString() },
    history: { executionId: r.executionId, from, events: history }, consumed, ...out,
  });

  const terminated = relevant.find((m) => m.event.EventType === EventType.ExecutionTerminated);
  if (terminated) {
    const reason = str(terminated.event, "Input") ?? null;
    history.push(event(EventType.ExecutionCompleted, now, { OrchestrationStatus: "Terminated", Result: reason }),
      event(EventType.OrchestratorCompleted, now));
    return done({ ...rec, runtimeStatus: "Terminated", output: reason });
  }
  let suspended = rec.runtimeStatus === "Suspended";
  for (const m of relevant) {
    if (m.event.EventType === EventType.ExecutionSuspended) suspended = true;
    if (m.event.EventType === EventType.ExecutionResumed) suspended = false;
  }
  if (suspended) {
    history.push(event(EventType.OrchestratorCompleted, now));
    return done({ ...rec, runtimeStatus: "Suspended" });
  }

  for (let executions = 0; ; executions++) {
    let failure: string | undefined;
    let details = "";
    const state: OrchestratorState | undefined = triggerTypeOf(app, rec.name) === "orchestrationTrigger"
      ? await invokeOrchestrator(app, rec, history)
      : undefined;
    if (!state) failure = `The function '${rec.name}' doesn't exist, is disabled, or is not an orchestrator function.`;
    if (state?.customStatus !== undefined) rec = { ...rec, customStatus: json(state.customStatus) };
    let replay: ReplayResult | undefined;
    try {
      replay = state && new Replayer(rec.executionId).run(history, state.actions[0] ?? []);
    } catch (e) {
      failure = e instanceof Error ? e.message : String(e);
    }
    for (const d of replay?.decisions ?? []) failure ??= missingFunction(app, d);
    if (state && replay && failure === undefined) {
      for (const d of replay.decisions) history.push(schedule(d, rec, now, out));
      if (replay.finished && state.error !== undefined) {
        failure = `Orchestrator function '${rec.name}' failed: ${state.error}`;
        details = `Message: ${state.error}`;
      }
    }
    if (failure !== undefined) {
      history.push(event(EventType.ExecutionCompleted, now, { OrchestrationStatus: "Failed", Result: failure }),
        event(EventType.OrchestratorCompleted, now));
      notifyParent(rec, out, { EventType: EventType.SubOrchestrationInstanceFailed, Reason: failure, Details: details }, now);
      return done({ ...rec, runtimeStatus: "Failed", output: json(failure) });
    }
    if (!state || !replay?.finished || !state.isDone) {
      history.push(event(EventType.OrchestratorCompleted, now));
      return done({ ...rec, runtimeStatus: "Running" });
    }
    if (!replay.continueAsNew) {
      const output = json(state.output);
      history.push(event(EventType.ExecutionCompleted, now, { OrchestrationStatus: "Completed", Result: output }),
        event(EventType.OrchestratorCompleted, now));
      notifyParent(rec, out, { EventType: EventType.SubOrchestrationInstanceCompleted, Result: output }, now);
      return done({ ...rec, runtimeStatus: "Completed", output });
    }
    if (executions >= 1000) throw new Error(`instance ${rec.instanceId}: continueAsNew loop did not settle`);
    // ContinueAsNew closes this execution (no OrchestratorCompleted after it) and the next one
    // starts in the same episode with a fresh history.
    const input = json(replay.continueAsNew.input);
    history.push(event(EventType.ContinueAsNew, now, { Result: input }));
    rec = { ...rec, executionId: inp.newExecutionId(), input, output: null, runtimeStatus: "Running" };
    history = [
      event(EventType.OrchestratorStarted, now),
      executionStarted(now, rec.name, rec.instanceId, rec.executionId, input, rec.parent),
      event(EventType.OrchestratorCompleted, now),
    ];
    from = 0;
  }
}

/** The history event for a new decision, plus the message or work item DTFx sends for it. */
function schedule(d: Decision, rec: InstanceRecord, now: Date, out: { messages: Message[]; work: WorkItem[] }): HistoryEvent {
  const { instanceId, executionId } = rec;
  switch (d.kind) {
    case "task":
      out.work.push({ id: `${instanceId}|${executionId}|${d.id}`, instanceId, executionId, taskId: d.id, name: d.name, input: d.input });
      // DTFx serializes the activity parameters as a one-element array.
      return event(EventType.TaskScheduled, now, { Name: d.name, Version: "", Input: JSON.stringify([d.input ?? null]) }, d.id);
    case "timer":
      out.messages.push({
        id: `${instanceId}|${executionId}|timer|${d.id}`, instanceId, executionId, visibleAt: d.fireAt.toISOString(),
        event: event(EventType.TimerFired, now, { TimerId: d.id, FireAt: d.fireAt.toISOString() }),
      });
      return event(EventType.TimerCreated, now, { FireAt: d.fireAt.toISOString() }, d.id);
    case "subOrchestration": {
      const input = json(d.input);
      const childExec = childExecutionId(executionId, d.id);
      out.messages.push({
        id: `${d.instanceId}|start|${executionId}|${d.id}`, instanceId: d.instanceId, executionId: childExec,
        visibleAt: now.toISOString(),
        event: executionStarted(now, d.name, d.instanceId, childExec, input,
          { instanceId, executionId, name: rec.name, taskScheduledId: d.id }),
      });
      return event(EventType.SubOrchestrationInstanceCreated, now, { Name: d.name, Version: "", InstanceId: d.instanceId, Input: input }, d.id);
    }
  }
}

function notifyParent(rec: InstanceRecord, out: { messages: Message[] }, fields: Record<string, unknown> & { EventType: number }, now: Date): void {
  const p = rec.parent;
  if (!p) return;
  const { EventType: type, ...rest } = fields;
  out.messages.push({
    id: `${p.instanceId}|${p.executionId}|sub|${p.taskScheduledId}`, instanceId: p.instanceId, executionId: p.executionId,
    visibleAt: now.toISOString(), event: event(type, now, { TaskScheduledId: p.taskScheduledId, ...rest }),
  });
}
