// Plays the Functions host's Service Bus extension for a captured function (see README.md).
export { startServiceBusTrigger } from "./driver.ts";
export type { ServiceBusTrigger, ServiceBusTriggerOptions } from "./driver.ts";
export { readServiceBusTrigger } from "./binding.ts";
export type { ServiceBusTriggerBinding } from "./binding.ts";
export { batchTriggerData, messageTriggerData, rawBody } from "./trigger-data.ts";
export type { TriggerData } from "./trigger-data.ts";
export type { Outcome, SettledEvent, TriggerLogger, TriggerStats } from "./dispatch.ts";
export { parseTimeSpan, serviceBusHostOptions } from "./host-options.ts";
export type { HostServiceBusOptions } from "./host-options.ts";
