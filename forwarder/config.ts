// Forwarder configuration: one zod schema, fed from environment variables and `--flag=value`
// command-line flags (flags win). Errors name the variable/flag so a bad Deployment is obvious.
import { hostname } from "node:os";
import { z } from "zod";
import { ClusterNameSchema, COMMANDS_QUEUE, EVENTS_QUEUE, MAX_BODY_BYTES } from "../core/index.ts";
import { serviceBusSettingErrors, type ServiceBusSettings } from "./service-bus-endpoints.ts";

const SERVICE_BUS_KEYS = ["serviceBusConnectionString", "serviceBusEventsConnectionString", "serviceBusCommandsConnectionString", "serviceBusNamespace"] as const;

/** "200ms", "30s", "5m", "1h" or a bare number of milliseconds. */
export function parseDuration(value: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value);
  if (!m?.[1]) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? "ms";
  const factor = unit === "h" ? 3_600_000 : unit === "m" ? 60_000 : unit === "s" ? 1000 : 1;
  return Math.round(n * factor);
}

const duration = (min: number) =>
  z.preprocess(
    (v) => (typeof v === "string" ? (parseDuration(v) ?? v) : v),
    z.number({ error: "expected a duration like 200ms, 30s, 5m or a number of milliseconds" }).int().min(min),
  );
const count = (min: number, max: number) =>
  z.preprocess((v) => (typeof v === "string" && /^\s*\d+\s*$/.test(v) ? Number(v) : v), z.number().int().min(min).max(max));
const port = count(0, 65535);
const name = z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, "expected a DNS-1123 name");

export const ForwarderConfigSchema = z
  .object({
    cluster: ClusterNameSchema,
    /** Shared-access connection string for both queues (a namespace-level rule with Send + Listen). */
    serviceBusConnectionString: z.string().min(1).optional(),
    /** Connection string for mic-events only (a queue-level Send rule); overrides the shared one. */
    serviceBusEventsConnectionString: z.string().min(1).optional(),
    /** Connection string for mic-commands only (a queue-level Listen rule); overrides the shared one. */
    serviceBusCommandsConnectionString: z.string().min(1).optional(),
    /** Fully qualified namespace, e.g. `podid.servicebus.windows.net`, used with DefaultAzureCredential. */
    serviceBusNamespace: z.string().regex(/^[A-Za-z0-9.-]+(:\d+)?$/, "expected a host name like podid.servicebus.windows.net").optional(),
    eventsQueue: z.string().min(1).default(EVENTS_QUEUE),
    commandsQueue: z.string().min(1).default(COMMANDS_QUEUE),
    resyncPeriodMs: duration(1000).default(5 * 60_000),
    batchMaxWaitMs: duration(0).default(200),
    batchMaxMessages: count(1, 4500).default(100),
    maxQueuedEvents: count(1, 10_000_000).default(10_000),
    snapshotMaxBodyBytes: count(1024, MAX_BODY_BYTES).default(MAX_BODY_BYTES),
    sendRetryInitialMs: duration(1).default(200),
    sendRetryMaxMs: duration(1).default(10_000),
    watchRetryInitialMs: duration(1).default(500),
    watchRetryMaxMs: duration(1).default(30_000),
    receiverRetryInitialMs: duration(1).default(500),
    receiverRetryMaxMs: duration(1).default(30_000),
    /** How long one receive call waits for commands before checking for shutdown. */
    receiveWaitMs: duration(10).default(5000),
    /** Apply attempts per command (409 re-read + reapply) before it is abandoned for redelivery. */
    commandMaxAttempts: count(1, 100).default(5),
    leaseName: name.default("podid-forwarder"),
    leaseNamespace: name.default("podid-system"),
    leaseIdentity: z.string().min(1).max(253),
    leaseDurationMs: duration(1000).default(15_000),
    leaseRenewDeadlineMs: duration(1).default(10_000),
    leaseRetryPeriodMs: duration(1).default(2000),
    listenHost: z.string().min(1).default("0.0.0.0"),
    /** Serves /healthz and /readyz. */
    healthPort: port.default(8080),
    /** Serves /metrics. */
    metricsPort: port.default(9090),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  .superRefine((c, ctx) => {
    if (c.leaseRenewDeadlineMs >= c.leaseDurationMs) {
      ctx.addIssue({ code: "custom", path: ["leaseRenewDeadlineMs"], message: "must be shorter than leaseDurationMs (the leader must give up before others may take over)" });
    }
    if (c.leaseRetryPeriodMs >= c.leaseRenewDeadlineMs) {
      ctx.addIssue({ code: "custom", path: ["leaseRetryPeriodMs"], message: "must be shorter than leaseRenewDeadlineMs" });
    }
    if (c.sendRetryMaxMs < c.sendRetryInitialMs) {
      ctx.addIssue({ code: "custom", path: ["sendRetryMaxMs"], message: "must be >= sendRetryInitialMs" });
    }
  });

export type ForwarderConfig = z.output<typeof ForwarderConfigSchema>;
export type ForwarderConfigInput = z.input<typeof ForwarderConfigSchema>;

/** Environment variable and flag for each setting (flag = `--<flag>=<value>`). */
export const CONFIG_SOURCES: Record<keyof ForwarderConfig, { env: string; flag: string }> = {
  cluster: { env: "PODID_CLUSTER_NAME", flag: "cluster-name" },
  serviceBusConnectionString: { env: "PODID_SERVICEBUS_CONNECTION_STRING", flag: "servicebus-connection-string" },
  serviceBusEventsConnectionString: { env: "PODID_SERVICEBUS_EVENTS_CONNECTION_STRING", flag: "servicebus-events-connection-string" },
  serviceBusCommandsConnectionString: { env: "PODID_SERVICEBUS_COMMANDS_CONNECTION_STRING", flag: "servicebus-commands-connection-string" },
  serviceBusNamespace: { env: "PODID_SERVICEBUS_NAMESPACE", flag: "servicebus-namespace" },
  eventsQueue: { env: "PODID_EVENTS_QUEUE", flag: "events-queue" },
  commandsQueue: { env: "PODID_COMMANDS_QUEUE", flag: "commands-queue" },
  resyncPeriodMs: { env: "PODID_RESYNC_PERIOD", flag: "resync-period" },
  batchMaxWaitMs: { env: "PODID_BATCH_MAX_WAIT", flag: "batch-max-wait" },
  batchMaxMessages: { env: "PODID_BATCH_MAX_MESSAGES", flag: "batch-max-messages" },
  maxQueuedEvents: { env: "PODID_MAX_QUEUED_EVENTS", flag: "max-queued-events" },
  snapshotMaxBodyBytes: { env: "PODID_SNAPSHOT_MAX_BODY_BYTES", flag: "snapshot-max-body-bytes" },
  sendRetryInitialMs: { env: "PODID_SEND_RETRY_INITIAL", flag: "send-retry-initial" },
  sendRetryMaxMs: { env: "PODID_SEND_RETRY_MAX", flag: "send-retry-max" },
  watchRetryInitialMs: { env: "PODID_WATCH_RETRY_INITIAL", flag: "watch-retry-initial" },
  watchRetryMaxMs: { env: "PODID_WATCH_RETRY_MAX", flag: "watch-retry-max" },
  receiverRetryInitialMs: { env: "PODID_RECEIVER_RETRY_INITIAL", flag: "receiver-retry-initial" },
  receiverRetryMaxMs: { env: "PODID_RECEIVER_RETRY_MAX", flag: "receiver-retry-max" },
  receiveWaitMs: { env: "PODID_RECEIVE_WAIT", flag: "receive-wait" },
  commandMaxAttempts: { env: "PODID_COMMAND_MAX_ATTEMPTS", flag: "command-max-attempts" },
  leaseName: { env: "PODID_LEASE_NAME", flag: "lease-name" },
  leaseNamespace: { env: "PODID_LEASE_NAMESPACE", flag: "lease-namespace" },
  leaseIdentity: { env: "PODID_LEASE_IDENTITY", flag: "lease-identity" },
  leaseDurationMs: { env: "PODID_LEASE_DURATION", flag: "lease-duration" },
  leaseRenewDeadlineMs: { env: "PODID_LEASE_RENEW_DEADLINE", flag: "lease-renew-deadline" },
  leaseRetryPeriodMs: { env: "PODID_LEASE_RETRY_PERIOD", flag: "lease-retry-period" },
  listenHost: { env: "PODID_LISTEN_HOST", flag: "listen-host" },
  healthPort: { env: "PODID_HEALTH_PORT", flag: "health-port" },
  metricsPort: { env: "PODID_METRICS_PORT", flag: "metrics-port" },
  logLevel: { env: "PODID_LOG_LEVEL", flag: "log-level" },
};

export type ConfigResult = { ok: true; config: ForwarderConfig } | { ok: false; errors: string[] };

export interface ConfigSources {
  env: Record<string, string | undefined>;
  argv?: readonly string[];
  /** Fallback lease identity when neither PODID_LEASE_IDENTITY nor POD_NAME is set. */
  hostname?: string;
}

/** Reads env + flags; a Service Bus endpoint for each queue is required here (serviceBusSettingErrors). */
export function loadForwarderConfig(sources: ConfigSources): ConfigResult {
  const errors: string[] = [];
  const raw: Record<string, string> = {};
  const byFlag = new Map(Object.entries(CONFIG_SOURCES).map(([key, s]) => [s.flag, key]));
  for (const [key, s] of Object.entries(CONFIG_SOURCES)) {
    const v = sources.env[s.env];
    if (v !== undefined && v !== "") raw[key] = v;
  }
  // Kubernetes downward API names, used when the podid-specific variables are absent.
  raw.leaseNamespace ??= sources.env.POD_NAMESPACE ?? "";
  raw.leaseIdentity ??= sources.env.POD_NAME ?? sources.hostname ?? hostname();
  if (raw.leaseNamespace === "") delete raw.leaseNamespace;
  for (const arg of sources.argv ?? []) {
    const m = /^--([a-z-]+)=(.*)$/s.exec(arg);
    const key = m?.[1] === undefined ? undefined : byFlag.get(m[1]);
    if (!m || key === undefined) {
      errors.push(`unknown argument '${arg}' (flags are --<name>=<value>, e.g. --cluster-name=prod)`);
      continue;
    }
    raw[key] = m[2] ?? "";
  }
  const parsed = ForwarderConfigSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = issue.path[0];
      const src = typeof key === "string" ? CONFIG_SOURCES[key as keyof ForwarderConfig] : undefined;
      const where = src ? `${src.env} (--${src.flag})` : "(config)";
      const missing = typeof key === "string" && raw[key] === undefined;
      errors.push(missing ? `${where}: required` : `${where}: ${issue.message}`);
    }
  }
  // Checked even when other settings are invalid, so one run lists every problem.
  const sb: ServiceBusSettings = parsed.success ? parsed.data : {
    eventsQueue: raw.eventsQueue ?? EVENTS_QUEUE,
    commandsQueue: raw.commandsQueue ?? COMMANDS_QUEUE,
    ...Object.fromEntries(SERVICE_BUS_KEYS.flatMap((k) => (raw[k] === undefined ? [] : [[k, raw[k]]]))),
  };
  errors.push(...serviceBusSettingErrors(sb, (key) => CONFIG_SOURCES[key].env));
  if (errors.length > 0 || !parsed.success) return { ok: false, errors };
  return { ok: true, config: parsed.data };
}

/** Defaults filled in, for tests and embedders (the sandbox) that build config in code. */
export function forwarderConfig(input: ForwarderConfigInput): ForwarderConfig {
  return ForwarderConfigSchema.parse(input);
}
