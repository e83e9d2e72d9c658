// Replays the SDK's actions the way the extension's OutOfProcOrchestrationShim drives
// DurableTask.Core, to learn which actions are new and which numbers DTFx gives them.
//
// DTFx facts this follows (TaskOrchestrationContext, RetryInterceptor, the shim):
// - every ScheduleTask / CreateTimer / CreateSubOrchestrationInstance takes `idCounter++`;
//   waiting for an external event takes no number;
// - the shim invokes the actions in order and awaits each one, so an action is only invoked
//   once every earlier action has completed (WhenAll: all children; WhenAny: one child);
// - history is replayed event by event; a completion event resumes whatever awaited it, so
//   work scheduled by a continuation (the next action, a retry timer, the next retry attempt)
//   is numbered in the order completions appear in history — as the SDK numbers it;
// - a past TaskScheduled/TimerCreated/SubOrchestrationInstanceCreated must match a decision
//   with the same id (else: non-deterministic); decisions left unmatched are this episode's new work;
// - retry: attempt n, on failure a timer (fires at now + min(first·coef^n, max), or "now" after the
//   last attempt: DTFx's back-compat dummy timer), then attempt n+1; a retryTimeout that has
//   passed ends the retries without a timer.
import { ActionType } from "./actions.ts";
import type { Action, RetryOptions } from "./actions.ts";
import { EventType, num, str } from "./history.ts";
import type { HistoryEvent } from "./history.ts";

export type Decision =
  | { kind: "task"; id: number; name: string; input: unknown }
  | { kind: "timer"; id: number; fireAt: Date }
  | { kind: "subOrchestration"; id: number; name: string; instanceId: string; input: unknown };

export interface ReplayResult {
  /** New work of this episode, in id order (DTFx writes it in that order). */
  decisions: Decision[];
  /** True when the shim got through every action (only then can the orchestration complete or fail). */
  finished: boolean;
  continueAsNew: { input: unknown } | undefined;
}

export class NonDeterminismError extends Error {}

const DEFAULT_MAX_RETRY_INTERVAL_MS = 6 * 24 * 3600_000; // the extension's RetryOptions default

class SimTask {
  done = false;
  failed = false;
  #waiters: (() => void)[] = [];
  complete(failed: boolean): void {
    if (this.done) return;
    this.done = true;
    this.failed = failed;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
  /** Like awaiting a .NET task: runs now if already done, else when it completes. */
  then(f: () => void): void { if (this.done) f(); else this.#waiters.push(f); }
  static completed(failed = false): SimTask { const t = new SimTask(); t.complete(failed); return t; }
}

export function retryDelayMs(opts: RetryOptions, attempt: number, firstAttempt: Date, now: Date): number {
  if (opts.retryTimeoutInMilliseconds !== undefined && now.getTime() >= firstAttempt.getTime() + opts.retryTimeoutInMilliseconds) return 0;
  const next = opts.firstRetryIntervalInMilliseconds * Math.pow(opts.backoffCoefficient ?? 1, attempt);
  const max = opts.maxRetryIntervalInMilliseconds ?? DEFAULT_MAX_RETRY_INTERVAL_MS;
  return next < max ? next : max;
}

export class Replayer {
  #idCounter = 0;
  #now = new Date(0);
  #pending = new Map<number, Decision>();
  #open = new Map<number, SimTask>();
  #waiters = new Map<string, SimTask[]>();
  #buffered = new Map<string, number>();
  #finished = false;
  #continueAsNew: { input: unknown } | undefined;

  constructor(private readonly executionId: string) {}

  run(history: HistoryEvent[], actions: Action[]): ReplayResult {
    for (const e of history) this.#apply(e, actions);
    const decisions = [...this.#pending.values()].sort((a, b) => a.id - b.id);
    return { decisions, finished: this.#finished, continueAsNew: this.#continueAsNew };
  }

  #apply(e: HistoryEvent, actions: Action[]): void {
    switch (e.EventType) {
      case EventType.OrchestratorStarted: this.#now = new Date(e.Timestamp); return;
      case EventType.ExecutionStarted: this.#startShim(actions); return;
      case EventType.TaskScheduled: return this.#match(e, "task");
      case EventType.TimerCreated: return this.#match(e, "timer");
      case EventType.SubOrchestrationInstanceCreated: return this.#match(e, "subOrchestration");
      case EventType.TaskCompleted:
      case EventType.SubOrchestrationInstanceCompleted: return this.#resolve(num(e, "TaskScheduledId"), false);
      case EventType.TaskFailed:
      case EventType.SubOrchestrationInstanceFailed: return this.#resolve(num(e, "TaskScheduledId"), true);
      case EventType.TimerFired: return this.#resolve(num(e, "TimerId"), false);
      case EventType.EventRaised: return this.#raise(str(e, "Name") ?? "");
      default: return;
    }
  }

  #match(e: HistoryEvent, kind: Decision["kind"]): void {
    const d = this.#pending.get(e.EventId);
    const name = str(e, "Name");
    if (!d || d.kind !== kind || (d.kind !== "timer" && name !== undefined && d.name !== name)) {
      throw new NonDeterminismError(
        `Non-Deterministic workflow detected: history has ${kind} ${name ?? ""} with EventId ${e.EventId}, ` +
        `but the orchestrator's actions ${d ? `give ${d.kind} ${"name" in d ? d.name : ""}` : "give nothing"} at that id`);
    }
    this.#pending.delete(e.EventId);
  }

  #resolve(id: number | undefined, failed: boolean): void {
    if (id === undefined) return;
    const t = this.#open.get(id);
    if (!t) return; // e.g. a canceled timer firing: DTFx ignores it
    this.#open.delete(id);
    t.complete(failed);
  }

  #raise(name: string): void {
    const q = this.#waiters.get(name);
    const w = q?.shift();
    if (w) w.complete(false);
    else this.#buffered.set(name, (this.#buffered.get(name) ?? 0) + 1);
  }

  #startShim(actions: Action[]): void {
    let i = 0;
    const step = (): void => {
      while (i < actions.length) {
        const action = actions[i++];
        if (!action) break;
        const t = this.#invoke(action);
        if (!t.done) { t.then(step); return; }
      }
      this.#finished = true;
    };
    step();
  }

  #schedule(d: Decision): SimTask {
    const t = new SimTask();
    this.#pending.set(d.id, d);
    this.#open.set(d.id, t);
    return t;
  }

  #task(name: string, input: unknown): SimTask {
    return this.#schedule({ kind: "task", id: this.#idCounter++, name, input });
  }

  #timer(fireAt: Date): SimTask {
    return this.#schedule({ kind: "timer", id: this.#idCounter++, fireAt });
  }

  #subOrchestration(name: string, instanceId: string | undefined, input: unknown): SimTask {
    const id = this.#idCounter++;
    const child = instanceId !== undefined && instanceId !== "" ? instanceId : `${this.executionId}:${id}`;
    return this.#schedule({ kind: "subOrchestration", id, name, instanceId: child, input });
  }

  #retry(opts: RetryOptions, attemptOnce: () => SimTask): SimTask {
    const outer = new SimTask();
    const firstAttempt = this.#now;
    let attempt = 0;
    const tryOnce = (): void => {
      if (attempt >= opts.maxNumberOfAttempts) { outer.complete(false); return; }
      const t = attemptOnce();
      t.then(() => {
        if (!t.failed) { outer.complete(false); return; }
        if (attempt + 1 === opts.maxNumberOfAttempts) {
          this.#timer(this.#now).then(() => outer.complete(true)); // DTFx's back-compat dummy timer
          return;
        }
        const delay = retryDelayMs(opts, attempt, firstAttempt, this.#now);
        if (delay === 0) { outer.complete(true); return; }
        this.#timer(new Date(this.#now.getTime() + delay)).then(() => { attempt++; tryOnce(); });
      });
    };
    tryOnce();
    return outer;
  }

  #wait(name: string): SimTask {
    const buffered = this.#buffered.get(name) ?? 0;
    if (buffered > 0) { this.#buffered.set(name, buffered - 1); return SimTask.completed(); }
    const t = new SimTask();
    const q = this.#waiters.get(name) ?? [];
    q.push(t);
    this.#waiters.set(name, q);
    return t;
  }

  #invoke(a: Action): SimTask {
    const name = a.functionName ?? "";
    switch (a.actionType) {
      case ActionType.CallActivity: return this.#task(name, a.input);
      case ActionType.CallActivityWithRetry:
        return this.#retry(required(a.retryOptions, "retryOptions"), () => this.#task(name, a.input));
      case ActionType.CallSubOrchestrator: return this.#subOrchestration(name, a.instanceId, a.input);
      case ActionType.CallSubOrchestratorWithRetry:
        return this.#retry(required(a.retryOptions, "retryOptions"), () => this.#subOrchestration(name, a.instanceId, a.input));
      case ActionType.CreateTimer: {
        const id = this.#idCounter;
        const t = this.#timer(new Date(required(a.fireAt, "fireAt")));
        if (!a.isCanceled) return t;
        this.#open.delete(id); // canceled right after creation: still scheduled, its firing is ignored
        return SimTask.completed(true);
      }
      case ActionType.WaitForExternalEvent: return this.#wait(required(a.externalEventName, "externalEventName"));
      case ActionType.ContinueAsNew: this.#continueAsNew = { input: a.input }; return SimTask.completed();
      case ActionType.WhenAll: case ActionType.WhenAny: {
        const children = (a.compoundActions ?? []).map((c) => this.#invoke(c));
        const outer = new SimTask();
        const any = a.actionType === ActionType.WhenAny;
        const check = (): void => {
          if (any ? children.some((c) => c.done) : children.every((c) => c.done)) outer.complete(false);
        };
        if (children.length === 0) outer.complete(false);
        for (const c of children) c.then(check);
        return outer;
      }
      default:
        throw new Error(`podid durable-host does not support action type ${a.actionType} (entities, callHttp)`);
    }
  }
}

function required<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`orchestrator action is missing ${what}`);
  return v;
}
