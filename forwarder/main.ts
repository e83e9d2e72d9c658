// Container entry point: env/flags → config → Service Bus clients → buildForwarder → start.
// SIGTERM/SIGINT stop the work and release the lease. Bad configuration exits with code 2.
import { KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import { Registry, collectDefaultMetrics } from "prom-client";
import { loadForwarderConfig } from "./config.ts";
import { buildForwarder } from "./forwarder.ts";
import { createServiceBusClients } from "./service-bus-endpoints.ts";

const loaded = loadForwarderConfig({ env: process.env, argv: process.argv.slice(2) });
if (!loaded.ok) {
  process.stderr.write(`podid forwarder: invalid configuration:\n${loaded.errors.map((e) => `  - ${e}`).join("\n")}\n`);
  process.exit(2);
}
const config = loaded.config;
const logger = pino({ level: config.logLevel, base: { app: "podid-forwarder" } });

const registry = new Registry();
collectDefaultMetrics({ register: registry });

const kubeConfig = new KubeConfig();
kubeConfig.loadFromDefault(); // in-cluster service account, or KUBECONFIG outside

const serviceBus = createServiceBusClients(config);

const forwarder = buildForwarder({
  config, logger, registry, kubeConfig, serviceBusClient: serviceBus.events, commandsServiceBusClient: serviceBus.commands,
});

let shuttingDown = false;
async function shutdown(signal: string): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  logger.info({ signal }, "shutting down");
  try {
    await forwarder.stop();
    await serviceBus.close();
    process.exit(0);
  } catch (e) {
    logger.error({ err: e }, "shutdown failed");
    process.exit(1);
  }
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));

forwarder.start().catch((e: unknown) => {
  logger.fatal({ err: e }, "forwarder failed to start");
  process.exit(1);
});
