// What the extension's HTTP API answers about instances (HttpApiHandler.ConvertFrom,
// CreateCheckStatusResponse), and the errors its client operations raise.
import { EventType, EventTypeName } from "./history.ts";
import type { HistoryEvent } from "./history.ts";
import type { InstanceRecord, RuntimeStatus } from "./store.ts";

export interface OrchestrationStatus {
  name: string;
  instanceId: string;
  runtimeStatus: RuntimeStatus;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  /** Seconds precision with a Z, like the extension's `ToString("s") + "Z"`. */
  createdTime: string;
  lastUpdatedTime: string;
  /** Only with showHistory. Simplified: DTFx events with EventType as its name, no aggregation. */
  historyEvents?: unknown[];
}

export type HostErrorCode = "NotFound" | "Gone" | "BadRequest" | "AlreadyExists";

export class HostError extends Error {
  constructor(readonly code: HostErrorCode, message: string) { super(message); this.name = "HostError"; }
}

const parse = (text: string | null): unknown => (text === null ? null : JSON.parse(text) as unknown);
const seconds = (iso: string): string => `${iso.slice(0, 19)}Z`;

export function toStatus(rec: InstanceRecord, history?: HistoryEvent[], showInput = true): OrchestrationStatus {
  const s: OrchestrationStatus = {
    name: rec.name,
    instanceId: rec.instanceId,
    runtimeStatus: rec.runtimeStatus,
    input: showInput ? parse(rec.input) : null,
    output: parse(rec.output),
    customStatus: parse(rec.customStatus),
    createdTime: seconds(rec.createdTime),
    lastUpdatedTime: seconds(rec.lastUpdatedTime),
  };
  if (history) {
    s.historyEvents = history
      .filter((e) => e.EventType !== EventType.OrchestratorStarted && e.EventType !== EventType.OrchestratorCompleted)
      .map(({ IsPlayed: _played, EventId: _id, ...rest }) => ({ ...rest, EventType: EventTypeName[rest.EventType] ?? rest.EventType }));
  }
  return s;
}

/** Management links for one instance, as in the 202 body of a start request. */
export function checkStatusPayload(webhookBase: string, taskHub: string, instanceId: string): Record<string, string> {
  const prefix = `${webhookBase}/instances/${encodeURIComponent(instanceId)}`;
  const q = `taskHub=${encodeURIComponent(taskHub)}&connection=Storage&code=podid-local`;
  return {
    id: instanceId,
    statusQueryGetUri: `${prefix}?${q}`,
    sendEventPostUri: `${prefix}/raiseEvent/{eventName}?${q}`,
    terminatePostUri: `${prefix}/terminate?reason={text}&${q}`,
    purgeHistoryDeleteUri: `${prefix}?${q}`,
    restartPostUri: `${prefix}/restart?${q}`,
    suspendPostUri: `${prefix}/suspend?reason={text}&${q}`,
    resumePostUri: `${prefix}/resume?reason={text}&${q}`,
  };
}

/** The durableClient input binding data (BindingHelper.DurableOrchestrationClientToString). */
export function durableClientBinding(webhookBase: string, taskHub: string, rpcBaseUrl: string): Record<string, unknown> {
  const q = `taskHub=${encodeURIComponent(taskHub)}&connection=Storage&code=podid-local`;
  const management = checkStatusPayload(webhookBase, taskHub, "INSTANCEID");
  const { id: _id, ...links } = management;
  return {
    taskHubName: taskHub,
    creationUrls: {
      createNewInstancePostUri: `${webhookBase}/orchestrators/{functionName}[/{instanceId}]?code=podid-local`,
      createAndWaitOnNewInstancePostUri: `${webhookBase}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&code=podid-local`,
    },
    managementUrls: { id: "INSTANCEID", ...links, rewindPostUri: `${webhookBase}/instances/INSTANCEID/rewind?reason={text}&${q}` },
    baseUrl: webhookBase,
    requiredQueryStringParameters: "code=podid-local",
    rpcBaseUrl,
    httpBaseUrl: webhookBase,
  };
}

export const RUNNING: readonly RuntimeStatus[] = ["Pending", "Running", "ContinuedAsNew", "Suspended"];
