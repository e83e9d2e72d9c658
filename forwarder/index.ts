// forwarder/: the in-cluster half of podid. See DESIGN.md §7 and forwarder/README.md.
export { buildForwarder, type Forwarder, type ForwarderDeps } from "./forwarder.ts";
export {
  CONFIG_SOURCES, ForwarderConfigSchema, forwarderConfig, loadForwarderConfig, parseDuration,
  type ConfigResult, type ConfigSources, type ForwarderConfig, type ForwarderConfigInput,
} from "./config.ts";
export {
  createServiceBusClients, parseConnectionString, serviceBusEndpoints, serviceBusSettingErrors,
  type ServiceBusClients, type ServiceBusClientsOptions, type ServiceBusEndpoint, type ServiceBusEndpoints,
} from "./service-bus-endpoints.ts";
export { CoalescingEventQueue, type PushResult, type QueuedEvent } from "./event-queue.ts";
export { objectKey, toObjectEvent, toSnapshotItem, type InformerChange, type MappedEvent } from "./event-mapper.ts";
export { EventPump, type BatchSender, type EventPumpOptions, type OutgoingBatch } from "./event-pump.ts";
export { eventMessage, planSnapshot, snapshotMessage, type SnapshotPlan } from "./messages.ts";
export { isSubset, planApply, planDelete, targetNamespace, type PlanStep } from "./command-plan.ts";
export { executeCommand, type ExecuteResult } from "./command-executor.ts";
export { handleCommand, type Disposition } from "./command-handler.ts";
export { CommandReceiver, type CommandSessionReceiver, type SessionAcceptor } from "./command-receiver.ts";
export { kubeAssignedIdentityStore, type AssignedIdentityStore } from "./assigned-identity-store.ts";
export { decideLease, leaseDurationSeconds, observe, type LeaseDecision, type LeaseRecord, type Observation } from "./lease-decision.ts";
export { LeaderElector, type LeaderElectorOptions } from "./leader-elector.ts";
export { kubeLeaseStore, type LeaseStore, type LeaseWrite, type StoredLease } from "./lease-store.ts";
export { BookmarkWatch, InformerSet, watchTargets, type WatchTarget } from "./informers.ts";
export { createForwarderMetrics, type ForwarderMetrics } from "./metrics.ts";
export { startHealthServers, type Readiness } from "./health-server.ts";
export { classifyKubeError, CommandError, ForwarderErrorCode, type ForwarderErrorCodeValue } from "./errors.ts";
export { Backoff, sleep, systemClock, type Clock } from "./timing.ts";
