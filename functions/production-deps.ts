// The MIC's dependencies as the deployed app builds them from its app settings: the state table
// in AzureWebJobsStorage, ARM through @azure/arm-compute with the app's managed identity
// (DefaultAzureCredential), results to Service Bus `mic-commands` over ServiceBusConnection.
import { DefaultAzureCredential } from "@azure/identity";
import type { TokenCredential } from "@azure/identity";
import type { Logger } from "pino";
import { createComputeHosts } from "./mic/arm/compute-hosts.ts";
import type { MicDeps } from "./mic/deps.ts";
import { createTablesStateStore } from "./mic/state/index.ts";
import { createServiceBusResultsPublisher } from "./servicebus/results-publisher.ts";
import type { AppSettings } from "./settings.ts";
import { tablesClusterDirectory } from "./storage/cluster-directory.ts";
import { stateTableClient } from "./storage/state-table.ts";

/** Credentials by purpose; tests inject their own (no Azure). */
export type CredentialFactory = (purpose: "arm" | "storage") => TokenCredential;

export const defaultCredentialFactory: CredentialFactory = () => new DefaultAzureCredential();

export interface ProductionDepsOptions {
  settings: AppSettings;
  env: Readonly<Record<string, string | undefined>>;
  logger: Logger;
  credentials?: CredentialFactory;
}

export async function createProductionDeps(o: ProductionDepsOptions): Promise<MicDeps> {
  const credentials = o.credentials ?? defaultCredentialFactory;
  const table = stateTableClient(o.env, o.settings.stateTable, o.credentials ? credentials("storage") : undefined);
  const store = await createTablesStateStore(table, { settings: { forceNamespaced: o.settings.mic.forceNamespaced } });
  const arm = createComputeHosts({ endpoint: o.settings.arm.endpoint, scope: o.settings.arm.scope, credential: credentials("arm") });
  const publisher = createServiceBusResultsPublisher({ connection: "ServiceBusConnection", settings: o.env });
  return { settings: o.settings, store, arm, publisher, clusters: tablesClusterDirectory(table), logger: o.logger };
}
