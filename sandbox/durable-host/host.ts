// The client half of the durable host: what the extension's DurableClient and HTTP API do
// (start, raise, terminate, suspend, resume, status, purge), plus waitFor() for tests.
import { randomUUID } from "node:crypto";
import { Dispatcher } from "./dispatcher.ts";
import { EventType, event, executionStarted } from "./history.ts";
import type { HistoryEvent } from "./history.ts";
import { triggerTypeOf } from "./invoke.ts";
import { HostError, RUNNING, toStatus } from "./status.ts";
import type { OrchestrationStatus } from "./status.ts";
import { TERMINAL } from "./store.ts";
import type { RuntimeStatus } from "./store.ts";

export type { HostLogEntry, HostOptions } from "./dispatcher.ts";

type Condition = RuntimeStatus | RuntimeStatus[] | ((s: OrchestrationStatus) => boolean);

/** Instance ids must not contain / \\ # ? or control characters (extension's DurableClient). */
const invalidId = (id: string): boolean => [...id].some((c) => "/\\#?".includes(c) || c.charCodeAt(0) < 0x20 || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f));

export class HostCore extends Dispatcher {
  async startNew(name: string, opts: { instanceId?: string | undefined; input?: unknown } = {}): Promise<string> {
    if (triggerTypeOf(this.opts.app, name) !== "orchestrationTrigger") {
      throw new HostError("BadRequest", `The function '${name}' doesn't exist, is disabled, or is not an orchestrator function.`);
    }
    const instanceId = opts.instanceId ?? randomUUID().replaceAll("-", "");
    if (instanceId.startsWith("@") || invalidId(instanceId) || instanceId.length > 100) {
      throw new HostError("BadRequest", `invalid instance id '${instanceId}'`);
    }
    const existing = await this.opts.store.getInstance(instanceId);
    if (existing && RUNNING.includes(existing.runtimeStatus)) {
      // Extension default OverridableExistingInstanceStates = NonRunningStates: DTFx throws
      // OrchestrationAlreadyExistsException, the HTTP API turns it into a 500.
      throw new HostError("AlreadyExists", `An Orchestration instance with the status ${existing.runtimeStatus} already exists.`);
    }
    const now = this.now().toISOString();
    const executionId = randomUUID().replaceAll("-", "");
    const input = opts.input === undefined ? null : JSON.stringify(opts.input);
    this.started(instanceId);
    // The start message is stored before the Pending record: a crash in between leaves a message
    // whose episode creates the instance, never a Pending instance that nothing will start.
    await this.send(instanceId, executionId, executionStarted(this.now(), name, instanceId, executionId, input, null),
      () => this.opts.store.putInstance({
        instanceId, name, executionId, runtimeStatus: "Pending", input, output: null, customStatus: null,
        createdTime: now, lastUpdatedTime: now, parent: null,
      }));
    return instanceId;
  }

  async raiseEvent(instanceId: string, name: string, data: unknown): Promise<void> {
    await this.#requireLive(instanceId);
    await this.send(instanceId, null, event(EventType.EventRaised, this.now(), { Name: name, Input: data === undefined ? null : JSON.stringify(data) }));
  }

  async terminate(instanceId: string, reason: string): Promise<void> {
    await this.#requireLive(instanceId);
    await this.send(instanceId, null, event(EventType.ExecutionTerminated, this.now(), { Input: JSON.stringify(reason) }));
  }

  async suspend(instanceId: string, reason: string): Promise<void> {
    await this.#requireLive(instanceId);
    await this.send(instanceId, null, event(EventType.ExecutionSuspended, this.now(), { Reason: reason }));
  }

  async resume(instanceId: string, reason: string): Promise<void> {
    await this.#requireLive(instanceId);
    await this.send(instanceId, null, event(EventType.ExecutionResumed, this.now(), { Reason: reason }));
  }

  async getStatus(instanceId: string, opts: { showHistory?: boolean; showInput?: boolean } = {}): Promise<OrchestrationStatus | undefined> {
    const rec = await this.opts.store.getInstance(instanceId);
    if (!rec) return undefined;
    const history = opts.showHistory ? await this.opts.store.getHistory(instanceId, rec.executionId) : undefined;
    return toStatus(rec, history, opts.showInput ?? true);
  }

  async listStatus(filter: { runtimeStatus?: RuntimeStatus[]; createdFrom?: Date; createdTo?: Date } = {}): Promise<OrchestrationStatus[]> {
    const all = await this.opts.store.listInstances();
    return all.filter((r) => (!filter.runtimeStatus?.length || filter.runtimeStatus.includes(r.runtimeStatus)) &&
      (!filter.createdFrom || new Date(r.createdTime) >= filter.createdFrom) &&
      (!filter.createdTo || new Date(r.createdTime) <= filter.createdTo)).map((r) => toStatus(r));
  }

  /** The raw DTFx history of the current execution. */
  async history(instanceId: string): Promise<HistoryEvent[]> {
    const rec = await this.opts.store.getInstance(instanceId);
    return rec ? this.opts.store.getHistory(instanceId, rec.executionId) : [];
  }

  async purge(instanceId: string): Promise<boolean> {
    this.forget(instanceId);
    return this.opts.store.purge(instanceId);
  }

  async #requireLive(instanceId: string): Promise<void> {
    const rec = await this.opts.store.getInstance(instanceId);
    if (!rec) throw new HostError("NotFound", `No instance with ID '${instanceId}' found.`);
    if (TERMINAL.includes(rec.runtimeStatus)) throw new HostError("Gone", `Instance '${instanceId}' is ${rec.runtimeStatus}.`);
  }

  waitFor(instanceId: string, cond: Condition, timeoutMs = 10_000): Promise<OrchestrationStatus> {
    const pred = typeof cond === "function" ? cond
      : (s: OrchestrationStatus): boolean => (Array.isArray(cond) ? cond : [cond]).includes(s.runtimeStatus);
    return new Promise((resolve, reject) => {
      let last: OrchestrationStatus | undefined;
      const finish = (f: () => void): void => { clearTimeout(timer); this.listeners.delete(check); f(); };
      const check = (): void => {
        void this.getStatus(instanceId).then((s) => {
          last = s;
          if (s && pred(s) && this.listeners.has(check)) finish(() => resolve(s));
        }, (e: unknown) => finish(() => reject(e instanceof Error ? e : new Error(String(e)))));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(
        `timed out after ${timeoutMs} ms waiting for ${instanceId}; last status: ${JSON.stringify(last)}`))), timeoutMs);
      this.listeners.add(check);
      check();
    });
  }
}
