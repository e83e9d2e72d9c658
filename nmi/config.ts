// NMI configuration: one zod schema, fed by flags (upstream names where they exist) and env.
import { z } from "zod";

export class NmiConfigError extends Error {
  override readonly name = "NmiConfigError";
}

const port = z.coerce.number().int().min(0).max(65535);
const positiveMs = z.coerce.number().int().positive();
const bool = z.union([z.boolean(), z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1")], { error: "must be true, false, 1 or 0" });
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const ipv4 = z.string().regex(IPV4, "must be an IPv4 address");

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
    /**
     * Install the nat rules that send pods' IMDS traffic to NMI (DESIGN §6). On in production
     * (the DaemonSet relies on it); `--iptables=false` for local runs without root.
     */
    iptables: bool.default(true),
    /** iptables binary: `iptables` (whatever the alternatives chose) or e.g. `iptables-legacy` to match kube-proxy. */
    iptablesCommand: z.string().min(1).regex(/^[^\s]+$/, "must be one binary name or path, without spaces").default("iptables"),
    /** `-w` wait for the xtables lock shared with kube-proxy and the CNI. */
    iptablesLockWaitSeconds: z.coerce.number().int().min(1).max(60).default(5),
    /** Re-verify (and repair) the rules this often (upstream: 60 s). */
    iptablesUpdateIntervalSeconds: z.coerce.number().int().min(1).max(3600).default(60),
    metadataIp: ipv4.default("169.254.169.254"),
    metadataPort: z.coerce.number().int().min(1).max(65535).default(80),
    /**
     * DNAT to 127.0.0.1 needs net.ipv4.conf.*.route_localnet=1 (kube-proxy sets `all`).
     * check: warn when missing; set: write conf/all=1 (needs a writable /proc/sys) or exit; ignore.
     */
    routeLocalnet: z.enum(["check", "set", "ignore"]).default("check"),
    /** SIGTERM: after the rules are removed, in-flight requests get this long to finish. */
    shutdownDrainMs: z.coerce.number().int().min(0).max(120_000).default(10_000),
  })
  .superRefine((c, ctx) => {
    // As upstream: managed mode trusts bindings alone, so a binding must never reach a pod or
    // identity of another namespace.
    if (c.mode === "managed" && !c.forceNamespaced) {
      ctx.addIssue({ code: "custom", path: ["forceNamespaced"], message: "managed mode requires forceNamespaced=true" });
    }
    // The DNAT target is the token server's address: it must be one concrete IPv4 address.
    if (c.iptables && (!IPV4.test(c.tokenAddress) || c.tokenAddress === "0.0.0.0")) {
      ctx.addIssue({
        code: "custom", path: ["tokenAddress"],
        message: `iptables interception DNATs to the token server, so it needs a concrete IPv4 listen address (e.g. 127.0.0.1), got ${JSON.stringify(c.tokenAddress)}; or disable interception with --iptables=false`,
      });
    }
  })
  .transform((c) => ({ ...c, imdsEndpoint: c.imdsEndpoint.replace(/\/+$/, "") }));

export type NmiConfig = z.output<typeof NmiConfigSchema>;
export type NmiConfigInput = z.input<typeof NmiConfigSchema>;

export function parseNmiConfig(input: NmiConfigInput | Record<string, unknown>): NmiConfig {
  const result = NmiConfigSchema.safeParse(input);
  if (!result.success) throw new NmiConfigError(`invalid NMI configuration: ${describeIssues(result.error)}`);
  return result.data;
}

/** Every issue, each naming the field and where it comes from (flag / env), e.g. `tokenPort (--nmi-port, NMI_PORT): …`. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const key = i.path[0];
      const source = SOURCES.find((s) => s.key === key);
      const where = source ? ` (${[...source.flags.slice(0, 1).map((f) => `--${f}`), ...(source.env ? [source.env] : [])].join(", ")})` : "";
      return `${i.path.length > 0 ? i.path.join(".") : "(root)"}${where}: ${i.message}`;
    })
    .join("; ");
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
  { key: "iptables", flags: ["iptables"], env: "NMI_IPTABLES", boolean: true },
  { key: "iptablesCommand", flags: ["iptables-command"], env: "NMI_IPTABLES_COMMAND" },
  { key: "iptablesLockWaitSeconds", flags: ["iptables-lock-wait-sec"], env: "NMI_IPTABLES_LOCK_WAIT_SEC" },
  { key: "iptablesUpdateIntervalSeconds", flags: ["ipt-update-interval-sec"], env: "NMI_IPT_UPDATE_INTERVAL_SEC" },
  { key: "metadataIp", flags: ["metadata-ip"], env: "NMI_METADATA_IP" },
  { key: "metadataPort", flags: ["metadata-port"], env: "NMI_METADATA_PORT" },
  { key: "routeLocalnet", flags: ["route-localnet"], env: "NMI_ROUTE_LOCALNET" },
  { key: "shutdownDrainMs", flags: ["shutdown-drain-ms"], env: "NMI_SHUTDOWN_DRAIN_MS" },
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
