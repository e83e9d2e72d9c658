// DurableTask.Core history events as the extension serializes them for out-of-process SDKs:
// PascalCase properties, numeric EventType, ISO timestamps (the SDK turns them into Dates).
// Only the fields the SDK and this host read are modelled; values are JSON text where DTFx
// keeps JSON text (Input, Result).

export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
  ContinueAsNew: 16,
  ExecutionSuspended: 19,
  ExecutionResumed: 20,
} as const;

export const EventTypeName: Record<number, string> = Object.fromEntries(
  Object.entries(EventType).map(([k, v]) => [v, k]),
);

/** A history event: common fields plus the type-specific PascalCase ones. */
export interface HistoryEvent {
  EventType: number;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  [field: string]: unknown;
}

export interface ParentInfo {
  instanceId: string;
  executionId: string;
  name: string;
  taskScheduledId: number;
}

export function event(type: number, timestamp: Date, fields: Record<string, unknown> = {}, eventId = -1): HistoryEvent {
  return { EventType: type, EventId: eventId, IsPlayed: false, Timestamp: timestamp.toISOString(), ...fields };
}

export function executionStarted(
  at: Date, name: string, instanceId: string, executionId: string, input: string | null, parent: ParentInfo | null,
): HistoryEvent {
  return event(EventType.ExecutionStarted, at, {
    OrchestrationInstance: { InstanceId: instanceId, ExecutionId: executionId },
    Name: name,
    Version: "",
    Input: input,
    ParentInstance: parent === null ? null : {
      Name: parent.name,
      TaskScheduleId: parent.taskScheduledId,
      OrchestrationInstance: { InstanceId: parent.instanceId, ExecutionId: parent.executionId },
    },
  });
}

/** Numeric field of an event, or undefined (history rows come back from storage untyped). */
export function num(e: HistoryEvent, field: string): number | undefined {
  const v = e[field];
  return typeof v === "number" ? v : undefined;
}

export function str(e: HistoryEvent, field: string): string | undefined {
  const v = e[field];
  return typeof v === "string" ? v : undefined;
}
