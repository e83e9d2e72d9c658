// Container entry point: flags/env → config → buildNmi → start; SIGTERM/SIGINT → stop.
// Exit codes: 0 clean stop, 1 runtime failure, 2 invalid configuration.
import { KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import { Registry, collectDefaultMetrics } from "prom-client";
import { buildNmi } from "./build.ts";
import { NmiConfigError, nmiConfigFromArgs, type NmiConfig } from "./config.ts";
import { REDACT_PATHS } from "./log.ts";

let config: NmiConfig;
try {
  config = nmiConfigFromArgs(process.argv.slice(2), process.env);
} catch (err) {
  if (err instanceof NmiConfigError) {
    process.stderr.write(`nmi: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}

const logger = pino({ level: config.logLevel, redact: { paths: REDACT_PATHS, censor: "[REDACTED]" } });
const registry = new Registry();
collectDefaultMetrics({ register: registry });
const kubeConfig = new KubeConfig();
kubeConfig.loadFromDefault(); // in-cluster service account, or KUBECONFIG for local runs

const nmi = buildNmi({ config, logger, registry, kubeConfig });
let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, "stopping");
  await nmi.stop();
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));

try {
  await nmi.start();
} catch (err) {
  logger.fatal({ err: err instanceof Error ? err.message : String(err) }, "NMI failed to start");
  process.exit(1);
}
