// The state table's client, from the same connection the Functions host uses for its own
// storage (`AzureWebJobsStorage`): a connection string, or an identity-based connection
// (`<name>__tableServiceUri`, or `<name>__accountName` for the public cloud) with
// `__credential=managedidentity` / `__clientId` as the host reads them. Kept out of the settings
// module because the host owns these names; the app only follows them.
import { TableClient } from "@azure/data-tables";
import { DefaultAzureCredential, ManagedIdentityCredential } from "@azure/identity";
import type { TokenCredential } from "@azure/identity";

export const STORAGE_CONNECTION = "AzureWebJobsStorage";

export type StorageConnection =
  | { kind: "connectionString"; connectionString: string }
  | { kind: "identity"; tableServiceUri: string; credential?: string; clientId?: string };

export class StorageConnectionError extends Error {
  readonly code = "PODID_STORAGE_CONNECTION_NOT_CONFIGURED";
  constructor(message: string) {
    super(message);
    this.name = "StorageConnectionError";
  }
}

type Env = Readonly<Record<string, string | undefined>>;
const value = (env: Env, key: string): string | undefined => {
  const v = env[key]?.trim();
  return v === undefined || v === "" ? undefined : v;
};

export function resolveStorageConnection(env: Env, name = STORAGE_CONNECTION): StorageConnection {
  const cs = value(env, name);
  if (cs !== undefined) return { kind: "connectionString", connectionString: cs };
  const account = value(env, `${name}__accountName`);
  const tableServiceUri = value(env, `${name}__tableServiceUri`) ?? (account !== undefined ? `https://${account}.table.core.windows.net` : undefined);
  if (tableServiceUri === undefined) {
    throw new StorageConnectionError(`storage connection '${name}' is not configured: set '${name}' to a connection string, ` +
      `or '${name}__accountName' / '${name}__tableServiceUri' for an identity-based connection`);
  }
  const credential = value(env, `${name}__credential`);
  const clientId = value(env, `${name}__clientId`);
  return {
    kind: "identity", tableServiceUri,
    ...(credential !== undefined ? { credential } : {}),
    ...(clientId !== undefined ? { clientId } : {}),
  };
}

function connectionCredential(conn: Extract<StorageConnection, { kind: "identity" }>): TokenCredential {
  if (conn.credential?.toLowerCase() === "managedidentity") {
    return conn.clientId !== undefined ? new ManagedIdentityCredential({ clientId: conn.clientId }) : new ManagedIdentityCredential();
  }
  return conn.clientId !== undefined ? new DefaultAzureCredential({ managedIdentityClientId: conn.clientId }) : new DefaultAzureCredential();
}

/** A TableClient for `table`; `credential` overrides the identity-based connection's (tests). */
export function stateTableClient(env: Env, table: string, credential?: TokenCredential): TableClient {
  const conn = resolveStorageConnection(env);
  if (conn.kind === "connectionString") {
    // Azurite speaks http; Azure always https.
    const insecure = /DefaultEndpointsProtocol=http;|UseDevelopmentStorage=true|TableEndpoint=http:/i.test(conn.connectionString);
    return TableClient.fromConnectionString(conn.connectionString, table, { allowInsecureConnection: insecure });
  }
  return new TableClient(conn.tableServiceUri, table, credential ?? connectionCredential(conn));
}
