// Service Bus connections by *setting name*, resolved the way the Functions host's Service Bus
// extension does: the setting (or `AzureWebJobs<name>`) holds a connection string, or the
// section `<name>__fullyQualifiedNamespace` (+ optional `__credential`/`__clientId`) selects an
// identity-based connection. So the same app settings drive the trigger and our own clients.
import { DefaultAzureCredential, ManagedIdentityCredential } from "@azure/identity";
import type { TokenCredential } from "@azure/identity";
import { ServiceBusClient } from "@azure/service-bus";
import type { ServiceBusClientOptions } from "@azure/service-bus";

export type ServiceBusConnection =
  | { kind: "connectionString"; settingName: string; connectionString: string }
  | { kind: "identity"; settingName: string; fullyQualifiedNamespace: string; credential?: string; clientId?: string };

export class ServiceBusConnectionError extends Error {
  readonly code = "PODID_SB_CONNECTION_NOT_CONFIGURED";
  constructor(readonly settingName: string, message: string) {
    super(message);
    this.name = "ServiceBusConnectionError";
  }
}

type Settings = Readonly<Record<string, string | undefined>>;

function nonEmpty(v: string | undefined): string | undefined {
  return v !== undefined && v.trim() !== "" ? v.trim() : undefined;
}

/**
 * Finds the connection named `name` (the binding's `connection`, default "ServiceBus") in
 * `settings` (app settings / environment). The host checks `<name>` and `AzureWebJobs<name>`
 * for a connection string, then the `<name>__*` section for identity-based connections.
 */
export function resolveServiceBusConnection(name: string | undefined, settings: Settings): ServiceBusConnection {
  const settingName = nonEmpty(name) ?? "ServiceBus";
  for (const key of [settingName, `AzureWebJobs${settingName}`]) {
    const cs = nonEmpty(settings[key]);
    if (cs !== undefined) return { kind: "connectionString", settingName: key, connectionString: cs };
  }
  for (const prefix of [settingName, `AzureWebJobs${settingName}`]) {
    const fqns = nonEmpty(settings[`${prefix}__fullyQualifiedNamespace`]);
    if (fqns === undefined) continue;
    const credential = nonEmpty(settings[`${prefix}__credential`]);
    const clientId = nonEmpty(settings[`${prefix}__clientId`]);
    return {
      kind: "identity", settingName: prefix, fullyQualifiedNamespace: fqns,
      ...(credential !== undefined ? { credential } : {}),
      ...(clientId !== undefined ? { clientId } : {}),
    };
  }
  throw new ServiceBusConnectionError(settingName,
    `Service Bus connection '${settingName}' is not configured: set '${settingName}' to a connection string, ` +
    `or '${settingName}__fullyQualifiedNamespace' to '<namespace>.servicebus.windows.net' for an identity-based connection`);
}

/** The credential the host would build for an identity-based connection. */
export function connectionCredential(conn: Extract<ServiceBusConnection, { kind: "identity" }>): TokenCredential {
  if (conn.credential?.toLowerCase() === "managedidentity") {
    return conn.clientId !== undefined ? new ManagedIdentityCredential({ clientId: conn.clientId }) : new ManagedIdentityCredential();
  }
  return conn.clientId !== undefined ? new DefaultAzureCredential({ managedIdentityClientId: conn.clientId }) : new DefaultAzureCredential();
}

export interface ClientFromSettingOptions {
  clientOptions?: ServiceBusClientOptions;
  /** Overrides the credential of identity-based connections (tests, custom chains). */
  credential?: TokenCredential;
}

/** A ServiceBusClient for the connection named `name`; the caller owns (and closes) it. */
export function serviceBusClientFromSetting(name: string | undefined, settings: Settings, opts: ClientFromSettingOptions = {}): ServiceBusClient {
  const conn = resolveServiceBusConnection(name, settings);
  if (conn.kind === "connectionString") return new ServiceBusClient(conn.connectionString, opts.clientOptions);
  return new ServiceBusClient(conn.fullyQualifiedNamespace, opts.credential ?? connectionCredential(conn), opts.clientOptions);
}
