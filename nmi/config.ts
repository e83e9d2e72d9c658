// NMI configuration: one zod schema, fed by flags (upstream names where they exist) and env.
import { z } from "zod";
import { describeZodError } from "../core/index.ts";

export class NmiConfigError extends Error {
  override readonly name = "NmiConfigError";
}

const port = z.coerce.number().int().min(0).max(65535);
const positiveMs = z.coerce.number().int().positive();
const bool = z.union([z.boolean(), z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1")]);

export const NmiConfigSchema = z
  .object({
    nodeName: z.string({ error: "node name is required (--node or NODE_NAME)" }).min(1, "node name is required (--node or NODE_NAME)"),
    /** Watch AzureIdentity/Binding/Exception in this namespace only; all namespaces when unset. */
    namespace: z.string().min(1).optional(),
    mode: z.enum(["standard", "managed"]).default("standard"),
    forceNamespaced: bool.default(false),
    tokenAddress: z.string().min(1).default("127.0.0.1"),
    tokenPort: port.default(2579),
    /** Health and metrics listen here: kubelet probes and Prometheus reach the node IP. */
    probeAddress: z.string().min(1).default("0.0.0.0"),
    healthPort: port.default(8085),
    metricsPort: port.default(9090),
    /**
     * How long one request may wait for a transient state (pod not indexed yet, assignment
     * still Created). Well under client timeouts: SDK HTTP timeouts are ≥ 30 s and the clients
     * retry our transient status (see errors.ts), so 10 s per attempt × their retries covers a
     * 40–60 s VMSS assignment without holding one socket for minutes (upstream held 80 s).
     */
    waitBudgetMs: positiveMs.default(10_000),
    /** Fallback re-check while waiting (changes from the informers wake waiters at once). */
    pollIntervalMs: positiveMs.default(500),
    /** First backoff for upstream retries (IMDS/Entra 429, 5xx, network); doubles, capped at 2 s. */
    retryBaseMs: positiveMs.default(200),
    retryAfterSeconds: z.coerce.number().int().min(1).max(120).default(5),
    refreshMarginSeconds: z.coerce.number().int().min(0).default(300),
    upstreamConcurrency: z.coerce.number().int().positive().default(5),
    upstreamRatePerSecond: z.coerce.number().positive().default(20),
    imdsEndpoint: z.url({ protocol: /^https?$/ }).default("http://169.254.169.254"),
    blockInstanceMetadata: bool.default(false),
    metadataHeaderRequired: bool.default(true),
    informerBackoffMs: positiveMs.default(1000),
    informerBackoffMaxMs: positiveMs.default(30_000),
    logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]).default("info"),
  })
  .superRefine((c, ctx) => {
    // As upstream: managed mode trusts bindings alone, so a binding must never reach a pod or
    // identity of another namespace.
    if (c.mode === "managed" && !c.forceNamespaced) {
      ctx.addIssue({ code: "custom", path: ["forceNamespaced"], message: "managed mode requires forceNamespaced=true" });
    }
  })
  .transform((c) => ({ ...c, imdsEndpoint: c.imdsEndpoint.replace(/\/+$/, "") }));

export type NmiConfig = z.output<typeof NmiConfigSchema>;
export type NmiConfigInput = z.input<typeof NmiConfigSchema>;

export function parseNmiConfig(input: NmiConfigInput | Record<string, unknown>): NmiConfig {
  const result = NmiConfigSchema.safeParse(input);
  if (!result.success) throw new NmiConfigError(`invalid NMI configuration: ${describeZodError(result.error)}`);
  return result.data;
}

type Key = keyof NmiConfigInput;
interface Source { key: Key; flags: string[]; env?: string; boolean?: boolean }

const SOURCES: Source[] = [
  { key: "nodeName", flags: ["node", "node-name"], env: "NODE_NAME" },
  { key: "namespace", flags: ["namespace"], env: "NMI_NAMESPACE" },
  { key: "mode", flags: ["operation-mode"], env: "NMI_OPERATION_MODE" },
  { key: "forceNamespaced", flags: ["forceNamespaced", "force-namespaced"], env: "FORCENAMESPACED", boolean: true },
  { key: "tokenAddress", flags: ["nmi-listen-address"], env: "NMI_LISTEN_ADDRESS" },
  { key: "tokenPort", flags: ["nmi-port"], env: "NMI_PORT" },
  { key: "probeAddress", flags: ["probe-address"], env: "NMI_PROBE_ADDRESS" },
  { key: "healthPort", flags: ["http-probe-port"], env: "NMI_HEALTH_PORT" },
  { key: "metricsPort", flags: ["prometheus-port"], env: "NMI_METRICS_PORT" },
  { key: "waitBudgetMs", flags: ["wait-budget-ms"], env: "NMI_WAIT_BUDGET_MS" },
  { key: "pollIntervalMs", flags: ["poll-interval-ms"], env: "NMI_POLL_INTERVAL_MS" },
  { key: "retryBaseMs", flags: ["retry-base-ms"], env: "NMI_RETRY_BASE_MS" },
  { key: "retryAfterSeconds", flags: ["retry-after-seconds"], env: "NMI_RETRY_AFTER_SECONDS" },
  { key: "refreshMarginSeconds", flags: ["refresh-margin-seconds"], env: "NMI_REFRESH_MARGIN_SECONDS" },
  { key: "upstreamConcurrency", flags: ["upstream-concurrency"], env: "NMI_UPSTREAM_CONCURRENCY" },
  { key: "upstreamRatePerSecond", flags: ["upstream-rate"], env: "NMI_UPSTREAM_RATE" },
  { key: "imdsEndpoint", flags: ["imds-endpoint"], env: "NMI_IMDS_ENDPOINT" },
  { key: "blockInstanceMetadata", flags: ["block-instance-metadata"], env: "NMI_BLOCK_INSTANCE_METADATA", boolean: true },
  { key: "metadataHeaderRequired", flags: ["metadata-header-required"], env: "NMI_METADATA_HEADER_REQUIRED", boolean: true },
  { key: "informerBackoffMs", flags: ["informer-backoff-ms"], env: "NMI_INFORMER_BACKOFF_MS" },
  { key: "informerBackoffMaxMs", flags: ["informer-backoff-max-ms"], env: "NMI_INFORMER_BACKOFF_MAX_MS" },
  { key: "logLevel", flags: ["log-level"], env: "LOG_LEVEL" },
];

/** Flags win over env. Accepts `--flag=value`, `--flag value`, and bare `--flag` for booleans. */
export function nmiConfigFromArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): NmiConfig {
  const raw: Record<string, unknown> = {};
  for (const s of SOURCES) {
    const v = s.env === undefined ? undefined : env[s.env];
    if (v !== undefined && v !== "") raw[s.key] = v;
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (!arg.startsWith("--")) throw new NmiConfigError(`unexpected argument '${arg}'`);
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const source = SOURCES.find((s) => s.flags.includes(name));
    if (!source) throw new NmiConfigError(`unknown flag --${name}`);
    let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    if (value === undefined) {
      const next = argv[i + 1];
      if (source.boolean && (next === undefined || next.startsWith("--"))) value = "true";
      else if (next === undefined) throw new NmiConfigError(`flag --${name} needs a value`);
      else { value = next; i++; }
    }
    raw[source.key] = value;
  }
  return parseNmiConfig(raw);
}
