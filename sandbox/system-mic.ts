// The MIC function app (functions/) as the sandbox hosts it: the functions kit captures its
// registrations, the durable host runs its orchestrations and activities (state in Azurite),
// the Service Bus trigger driver feeds micEvents, and a plain interval plays its timers.
// App settings are the ones bicep/main.bicep gives the real app, pointed at the peers; the
// app's DefaultAzureCredential gets its token from the App Service identity endpoint, as in Azure.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import type { MicDeps } from "../functions/mic/deps.ts";
import type { ReconcileTiming } from "../functions/mic/orchestration/timing.ts";
import { STATE_TABLE } from "../functions/mic/state/index.ts";
import { createProductionDeps } from "../functions/production-deps.ts";
import { loadSettings, resyncScheduleFrom } from "../functions/settings.ts";
import type { AzuriteHandle } from "./azurite.ts";
import { startDurableHost, TableStore } from "./durable-host/index.ts";
import type { DurableHost } from "./durable-host/index.ts";
import { installFunctionsCore, timerInput } from "./functions-kit/index.ts";
import type { CapturedApp } from "./functions-kit/index.ts";
import type { ArmPeer } from "./peers/arm/index.ts";
import type { ServiceBusPeer } from "./peers/servicebus/index.ts";
import { serviceBusHostOptions, startServiceBusTrigger } from "./servicebus-trigger/index.ts";
import { startAppIdentityEndpoint } from "./system-msi.ts";
import type { AppIdentityEndpoint } from "./system-msi.ts";
import type { ServiceBusTrigger, ServiceBusTriggerOptions } from "./servicebus-trigger/index.ts";

export const SANDBOX_TENANT = "5a4db0c0-0000-4000-8000-00000000face";
const ARM_SCOPE = "https://management.azure.com/.default";

export interface MicAppOptions {
  cluster: string;
  logger: Logger;
  serviceBus: ServiceBusPeer;
  arm: ArmPeer;
  azurite: AzuriteHandle;
  azure: { subscriptionId: string; nodeResourceGroup: string; identityResourceGroup: string };
  /** Reconcile timings (default SANDBOX_TIMING: an ARM update in the sandbox takes ~100 ms, not 40 s). */
  timing?: Partial<ReconcileTiming>;
  /** Extra or overriding app settings. */
  settings?: Record<string, string>;
  /** How often timer-triggered functions run (NCRONTAB is not played). Default 60 s; 0 = never. */
  timerIntervalMs?: number;
  trigger?: Partial<ServiceBusTriggerOptions>;
}

export interface MicApp {
  app: CapturedApp;
  identity: AppIdentityEndpoint;
  durableHost: DurableHost;
  trigger: ServiceBusTrigger;
  settings: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

const REPO = fileURLToPath(new URL("..", import.meta.url));

/** Polls and waits sized for the ARM peer's fast operations, so the loop converges in ~1 s. */
export const SANDBOX_TIMING: Partial<ReconcileTiming> = {
  pollIntervalMs: 250, minPollMs: 100, retryBaseMs: 1_000, retryCapMs: 10_000, graceMs: 1_000,
  coalesceQuietMs: 200, coalesceMaxMs: 2_000, failedHostRetryMs: 60_000,
};

const closable = (x: object): x is { close(): Promise<void> } => typeof (x as { close?: unknown }).close === "function";

export function micAppSettings(o: MicAppOptions, identity: AppIdentityEndpoint): Record<string, string> {
  const { subscriptionId, nodeResourceGroup, identityResourceGroup } = o.azure;
  return {
    AzureWebJobsStorage: o.azurite.connectionString,
    ServiceBusConnection: o.serviceBus.connectionString(),
    PODID_NODE_RESOURCE_GROUPS: `/subscriptions/${subscriptionId}/resourceGroups/${nodeResourceGroup}`,
    PODID_ALLOWED_IDENTITY_SCOPES: `/subscriptions/${subscriptionId}/resourceGroups/${identityResourceGroup}`,
    PODID_IMMUTABLE_IDENTITIES: "",
    PODID_FORCE_NAMESPACED: "false",
    PODID_ARM_ENDPOINT: o.arm.url,
    PODID_ARM_SCOPE: ARM_SCOPE,
    PODID_STATE_TABLE: STATE_TABLE,
    PODID_TASK_HUB: "PodidSandbox",
    PODID_RESYNC_SCHEDULE: "0 */5 * * * *",
    // Set by the Functions host, not by the app's settings; DefaultAzureCredential reads them.
    ...identity.env,
    ...o.settings,
  };
}

function timerFunctions(app: CapturedApp): string[] {
  return app.list().filter((r) => r.triggerType.toLowerCase() === "timertrigger").map((r) => r.name);
}

export async function startMicApp(o: MicAppOptions): Promise<MicApp> {
  const identity = await startAppIdentityEndpoint({ tenantId: SANDBOX_TENANT });
  const settings = micAppSettings(o, identity);
  // App settings reach a function app as environment variables; the kit and app are per process.
  Object.assign(process.env, settings);
  const app = installFunctionsCore();
  let built: Promise<MicDeps> | undefined;
  const closeDeps = async (): Promise<void> => {
    const deps = await built?.catch(() => undefined);
    if (deps && closable(deps.publisher)) await deps.publisher.close();
  };
  const cleanup: (() => Promise<void>)[] = [() => identity.close(), closeDeps];
  const undo = async (): Promise<void> => { for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined); };
  let durableHost: DurableHost;
  let trigger: ServiceBusTrigger;
  try {
    // What functions/index.ts does, with the sandbox's logger and timings injected, and a
    // handle on the dependencies so stop() can close the results publisher's AMQP connection.
    const { registerMicApp } = await import("../functions/app.ts");
    const appSettings = loadSettings(settings);
    registerMicApp({
      resyncSchedule: resyncScheduleFrom(settings),
      timing: { ...SANDBOX_TIMING, ...o.timing },
      deps: () => (built ??= createProductionDeps({ settings: appSettings, env: settings, logger: o.logger })),
    });
    const host = await startDurableHost({ app, store: new TableStore(o.azurite.connectionString, settings.PODID_TASK_HUB), clock: "real" });
    durableHost = host;
    cleanup.push(() => host.stop());
    const hostJson: unknown = JSON.parse(readFileSync(`${REPO}/host.json`, "utf8"));
    trigger = await startServiceBusTrigger({
      app, functionName: "micEvents", settings,
      ...serviceBusHostOptions(hostJson),
      sessionIdleTimeoutMs: 2000,
      inputs: () => ({ durableClient: host.durableClientInput() }),
      logger: o.logger.child({ component: "micEvents-trigger" }),
      ...o.trigger,
    });
  } catch (err) {
    await undo();
    throw err;
  }
  const durableClient = () => ({ durableClient: durableHost.durableClientInput() });

  const interval = o.timerIntervalMs ?? 60_000;
  const timers = interval > 0 ? timerFunctions(app).map((name) => setInterval(() => {
    app.invoke(name, { trigger: timerInput(), inputs: durableClient() }).catch((err: unknown) => {
      o.logger.warn({ err, function: name }, "sandbox: timer function failed");
    });
  }, interval)) : [];

  return {
    app, identity, durableHost, trigger, settings,
    async stop() {
      for (const t of timers) clearInterval(t);
      await trigger.stop();
      await durableHost.stop();
      await closeDeps();
      await identity.close();
    },
  };
}
