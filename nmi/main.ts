// Container entry point (the DaemonSet): flags/env → config → interception + buildNmi → start;
// SIGTERM/SIGINT → remove the rules, drain, stop.
//
// Start-up order, so pods never reach the real IMDS (the node's identities) while NMI runs:
//   1. preflight: `iptables -t nat -S PREROUTING` — missing binary / no privilege → exit 3 now,
//      before any Kubernetes call, with the catalog code and what to fix;
//   2. route_localnet check (or set);
//   3. with a fixed --nmi-port (production: 2579) the rules go in *before* the informers sync:
//      until NMI listens, pods get "connection refused" and retry (fail closed);
//   4. NMI starts (informers, then the token port); with --nmi-port=0 the rules follow here;
//   5. the verify loop repairs drift every --ipt-update-interval-sec.
// Exit codes: 0 clean stop, 1 runtime failure, 2 invalid configuration, 3 interception could
// not be set up (iptables missing, not permitted, unsupported; route_localnet not settable).
// If NMI itself fails after the rules are in (exit 1), they stay: kubelet restarts NMI, and
// until then pods fail closed instead of reaching the node's identities.
import { KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import { Registry, collectDefaultMetrics } from "prom-client";
import { buildNmi } from "./build.ts";
import { NmiConfigError, nmiConfigFromArgs, type NmiConfig } from "./config.ts";
import { createInterception, InterceptionError } from "./interception.ts";
import { REDACT_PATHS } from "./log.ts";

const EXIT_RUNTIME = 1;
const EXIT_CONFIG = 2;
const EXIT_INTERCEPTION = 3;

let config: NmiConfig;
try {
  config = nmiConfigFromArgs(process.argv.slice(2), process.env);
} catch (err) {
  if (err instanceof NmiConfigError) {
    process.stderr.write(`nmi: ${err.message}\n`);
    process.exit(EXIT_CONFIG);
  }
  throw err;
}

// Synchronous stdout: lines are written in order and none is lost when the process exits right
// after logging (pino's default asynchronous stream can drop or reorder the last lines on
// process.exit — exactly the shutdown lines an operator needs). One line per request is cheap.
const logger = pino(
  { level: config.logLevel, redact: { paths: REDACT_PATHS, censor: "[REDACTED]" } },
  pino.destination({ dest: 1, sync: true }),
);
const registry = new Registry();
collectDefaultMetrics({ register: registry });
const kubeConfig = new KubeConfig();
try {
  kubeConfig.loadFromDefault(); // in-cluster service account, or KUBECONFIG for local runs
} catch (err) {
  process.stderr.write(`nmi: cannot load the Kubernetes client configuration (in-cluster service account or KUBECONFIG): ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(EXIT_CONFIG);
}

const nmi = buildNmi({ config, logger, registry, kubeConfig });
const interception = config.iptables ? createInterception({ config, logger, registry }) : undefined;
let stopping = false;
/** Set once an install was attempted: a failure from then on may have left half the rules. */
let installing = false;

async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, "stopping");
  let code = 0;
  try {
    // Rules first: a node whose NMI is gone must not black-hole pods' IMDS traffic.
    await interception?.remove();
  } catch (err) {
    code = EXIT_RUNTIME;
    logger.error({ err: err instanceof Error ? err.message : String(err) }, "removing iptables rules failed");
  }
  try {
    await nmi.stop({ drainMs: config.shutdownDrainMs });
  } catch (err) {
    code = EXIT_RUNTIME;
    logger.error({ err: err instanceof Error ? err.message : String(err) }, "stopping NMI failed");
  }
  logger.info({ code }, "stopped");
  process.exit(code);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));

/** Interception failure: one clear line on stderr (for `kubectl logs` readers) plus the log. */
async function failInterception(err: InterceptionError, rulesMayExist: boolean): Promise<void> {
  logger.fatal({ code: err.code, kind: err.kind }, err.message);
  process.stderr.write(`nmi: cannot set up IMDS interception [${err.code}]: ${err.message}\n`);
  if (rulesMayExist) await interception?.remove().catch(() => undefined);
  await nmi.stop().catch(() => undefined);
  process.exit(EXIT_INTERCEPTION);
}

async function start(): Promise<void> {
  if (interception) {
    await interception.preflight();
    await interception.routeLocalnet();
    installing = true;
    if (config.tokenPort !== 0 && !stopping) await interception.install(config.tokenPort);
  } else {
    logger.warn("iptables interception disabled (--iptables=false): pods reach NMI only if something else sends their IMDS traffic here");
  }
  if (stopping) return;
  await nmi.start();
  if (interception && !stopping) await interception.install(nmi.addresses.token.port);
}

try {
  await start();
} catch (err) {
  if (stopping) {
    // A signal arrived during start-up; shutdown() owns the exit.
  } else if (err instanceof InterceptionError) {
    await failInterception(err, installing);
  } else {
    // Rules stay in place (fail closed) until kubelet restarts NMI; see the header comment.
    logger.fatal({ err: err instanceof Error ? err.message : String(err), iptablesRulesLeft: interception?.installed ?? false }, "NMI failed to start");
    process.exit(EXIT_RUNTIME);
  }
}
