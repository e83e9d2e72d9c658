// Which Service Bus endpoint serves each queue, and the clients for them. Three ways in:
// - Entra ID: `serviceBusNamespace` + DefaultAzureCredential (AKS workload identity), one client;
// - least-privilege SAS: a queue-level Send rule's connection string for mic-events and a
//   Listen rule's for mic-commands (a connection string carries one key, so two clients);
// - one connection string of a namespace-level Send + Listen rule for both queues.
// A per-queue string overrides the shared one for its queue.
import { DefaultAzureCredential, type TokenCredential } from "@azure/identity";
import { ServiceBusClient, type ServiceBusClientOptions } from "@azure/service-bus";
import type { ForwarderConfig } from "./config.ts";

type ConnectionKey = "serviceBusConnectionString" | "serviceBusEventsConnectionString" | "serviceBusCommandsConnectionString";
type SettingKey = ConnectionKey | "serviceBusNamespace";
/** The part of the configuration these functions read. */
export type ServiceBusSettings = Pick<ForwarderConfig, SettingKey | "eventsQueue" | "commandsQueue">;

export type ServiceBusEndpoint =
  | { kind: "connectionString"; connectionString: string; entityPath: string | undefined; setting: ConnectionKey }
  | { kind: "namespace"; fullyQualifiedNamespace: string };

export interface ServiceBusEndpoints {
  events: ServiceBusEndpoint;
  commands: ServiceBusEndpoint;
}

/** `Key=Value;…` → lower-cased keys (values may contain "=", as base64 keys do). */
export function parseConnectionString(cs: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of cs.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) out.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  return out;
}

/** The endpoint of each queue, or undefined when a queue has none (see serviceBusSettingErrors). */
export function serviceBusEndpoints(c: ServiceBusSettings): Partial<ServiceBusEndpoints> {
  if (c.serviceBusNamespace !== undefined) {
    const ns: ServiceBusEndpoint = { kind: "namespace", fullyQualifiedNamespace: c.serviceBusNamespace };
    return { events: ns, commands: ns };
  }
  const pick = (own: ConnectionKey): ServiceBusEndpoint | undefined => {
    const setting = c[own] !== undefined ? own : c.serviceBusConnectionString !== undefined ? "serviceBusConnectionString" : undefined;
    const cs = setting === undefined ? undefined : c[setting];
    if (setting === undefined || cs === undefined) return undefined;
    return { kind: "connectionString", connectionString: cs, entityPath: parseConnectionString(cs).get("entitypath"), setting };
  };
  const events = pick("serviceBusEventsConnectionString");
  const commands = pick("serviceBusCommandsConnectionString");
  return { ...(events ? { events } : {}), ...(commands ? { commands } : {}) };
}

/**
 * Start-up checks of the Service Bus settings, naming them through `label` (env variable names).
 * Never echoes a connection string: it holds a key.
 */
export function serviceBusSettingErrors(c: ServiceBusSettings, label: (key: SettingKey) => string): string[] {
  const errors: string[] = [];
  const strings: ConnectionKey[] = ["serviceBusConnectionString", "serviceBusEventsConnectionString", "serviceBusCommandsConnectionString"];
  const given = strings.filter((k) => c[k] !== undefined);
  if (c.serviceBusNamespace !== undefined) {
    if (given.length > 0) errors.push(`set either ${label("serviceBusNamespace")} (Entra ID auth) or connection strings (${given.map(label).join(", ")}), not both`);
    return errors;
  }
  if (given.length === 0) {
    return [`set ${label("serviceBusConnectionString")} (one connection string for both queues), or ${label("serviceBusEventsConnectionString")} and ` +
      `${label("serviceBusCommandsConnectionString")} (queue-level SAS rules), or ${label("serviceBusNamespace")} (Entra ID auth)`];
  }
  for (const k of given) {
    const f = parseConnectionString(c[k] ?? "");
    const endpoint = f.get("endpoint") ?? "";
    const hasKey = (f.has("sharedaccesskeyname") && f.has("sharedaccesskey")) || f.has("sharedaccesssignature");
    if (!/^sb:\/\/[^/;]+/i.test(endpoint) || !hasKey) {
      errors.push(`${label(k)}: not a Service Bus connection string (expected Endpoint=sb://<namespace>.servicebus.windows.net/;SharedAccessKeyName=…;SharedAccessKey=…)`);
    }
  }
  const endpoints = serviceBusEndpoints(c);
  for (const [queue, own, name] of [
    ["events", "serviceBusEventsConnectionString", c.eventsQueue],
    ["commands", "serviceBusCommandsConnectionString", c.commandsQueue],
  ] as const) {
    const e = endpoints[queue];
    if (e === undefined) {
      const other = own === "serviceBusEventsConnectionString" ? "serviceBusCommandsConnectionString" : "serviceBusEventsConnectionString";
      errors.push(`${label(own)}: required with ${label(other)} (or set ${label("serviceBusConnectionString")} for the ${queue} queue '${name}')`);
    } else if (e.kind === "connectionString" && e.entityPath !== undefined && e.entityPath.toLowerCase() !== name.toLowerCase()) {
      errors.push(`${label(e.setting)}: its EntityPath '${e.entityPath}' is not the ${queue} queue '${name}'` +
        (e.setting === "serviceBusConnectionString" ? ` (a queue-level rule opens one queue: use ${label(own)} for each queue)` : ""));
    }
  }
  return errors;
}

export interface ServiceBusClients {
  /** Sends mic-events. */
  events: ServiceBusClient;
  /** Receives mic-commands (the same client when both queues share an endpoint). */
  commands: ServiceBusClient;
  close(): Promise<void>;
}

export interface ServiceBusClientsOptions {
  clientOptions?: ServiceBusClientOptions;
  /** For Entra ID auth; default DefaultAzureCredential (workload identity in AKS). */
  credential?: TokenCredential;
}

/** One client per distinct endpoint; call after loadForwarderConfig accepted the settings. */
export function createServiceBusClients(c: ForwarderConfig, o: ServiceBusClientsOptions = {}): ServiceBusClients {
  const { events, commands } = serviceBusEndpoints(c);
  if (events === undefined || commands === undefined) throw new Error("no Service Bus endpoint configured (see serviceBusSettingErrors)");
  const make = (e: ServiceBusEndpoint): ServiceBusClient => e.kind === "namespace"
    ? new ServiceBusClient(e.fullyQualifiedNamespace, o.credential ?? new DefaultAzureCredential(), o.clientOptions)
    : new ServiceBusClient(e.connectionString, o.clientOptions);
  const eventsClient = make(events);
  const shared = events.kind === commands.kind && (events.kind === "namespace"
    || (commands.kind === "connectionString" && events.connectionString === commands.connectionString));
  const commandsClient = shared ? eventsClient : make(commands);
  return {
    events: eventsClient,
    commands: commandsClient,
    async close() {
      await Promise.all([...new Set([eventsClient, commandsClient])].map((client) => client.close()));
    },
  };
}
