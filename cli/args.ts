// Command line → a typed command. node:util parseArgs (strict) reads every option any command
// knows; then each option is checked against the command it was given to, so a misplaced flag
// is a usage error instead of being silently ignored.
import { parseArgs } from "node:util";
import { UsageError } from "./errors.ts";

export const COMMANDS = ["diagnose", "status", "token"] as const;
export type CommandName = (typeof COMMANDS)[number];

export const DEFAULT_NMI_NAMESPACE = "podid-system";
export const DEFAULT_NMI_SELECTOR = "app.kubernetes.io/name=podid-nmi";
export const DEFAULT_NMI_PORT = 2579;

const OPTIONS = {
  help: { type: "boolean", short: "h" },
  kubeconfig: { type: "string" },
  context: { type: "string" },
  namespace: { type: "string", short: "n" },
  output: { type: "string", short: "o" },
  "request-timeout": { type: "string" },
  "nmi-namespace": { type: "string" },
  "nmi-selector": { type: "string" },
  "mic-url": { type: "string" },
  "mic-key": { type: "string" },
  cluster: { type: "string" },
  tail: { type: "string" },
  "log-lines": { type: "string" },
  resource: { type: "string" },
  "client-id": { type: "string" },
  "resource-id": { type: "string" },
  "nmi-url": { type: "string" },
  "nmi-port": { type: "string" },
  "show-token": { type: "boolean" },
} as const;
type OptionName = keyof typeof OPTIONS;

const GLOBAL: OptionName[] = ["help", "kubeconfig", "context", "namespace", "output", "request-timeout"];
const NMI: OptionName[] = ["nmi-namespace", "nmi-selector"];
const MIC: OptionName[] = ["mic-url", "mic-key", "cluster"];
const ALLOWED: Record<CommandName, ReadonlySet<OptionName>> = {
  diagnose: new Set([...GLOBAL, ...NMI, ...MIC, "tail", "log-lines"]),
  status: new Set([...GLOBAL, ...MIC]),
  token: new Set([...GLOBAL, ...NMI, "resource", "client-id", "resource-id", "nmi-url", "nmi-port", "show-token"]),
};

export type OutputFormat = "table" | "json";

export interface GlobalOptions {
  kubeconfig?: string;
  context?: string;
  /** Only when given on the command line; the kubeconfig context supplies the default. */
  namespace?: string;
  output: OutputFormat;
  requestTimeoutMs: number;
}

export interface NmiLocator { namespace: string; selector: string }
export interface MicOptions { url: string; cluster: string; key?: string }

export type Command =
  | { kind: "help"; topic?: CommandName }
  | { kind: "diagnose"; global: GlobalOptions; pod: string; nmi: NmiLocator; mic?: MicOptions; micSkipReason?: string; tailLines: number; logLines: number }
  | { kind: "status"; global: GlobalOptions; mic?: MicOptions; micSkipReason?: string }
  | { kind: "token"; global: GlobalOptions; pod: string; nmi: NmiLocator; resource: string; clientId?: string; resourceId?: string; nmiUrl?: string; nmiPort?: number; showToken: boolean };

export type Env = Readonly<Record<string, string | undefined>>;

export function parseCommandLine(argv: readonly string[], env: Env = {}): Command {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true, tokens: true });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional argument.*$/s, ""));
  }
  const { values, positionals, tokens } = parsed;
  const [name, ...rest] = positionals;
  if (name === undefined || name === "help") {
    const topic = rest[0];
    return topic !== undefined && isCommand(topic) ? { kind: "help", topic } : { kind: "help" };
  }
  if (!isCommand(name)) throw new UsageError(`unknown command "${name}" (commands: ${COMMANDS.join(", ")})`);
  if (values.help === true) return { kind: "help", topic: name };
  for (const t of tokens) {
    if (t.kind === "option" && !ALLOWED[name].has(t.name)) {
      throw new UsageError(`${t.rawName} is not an option of "podid ${name}"`, name);
    }
  }
  const global = globalOptions(values);
  switch (name) {
    case "diagnose": {
      const pod = onePod(name, rest);
      const mic = micOptions(values, env);
      return {
        kind: "diagnose", global, pod, nmi: nmiLocator(values), ...mic,
        tailLines: positiveInt(values.tail, "--tail", 1000), logLines: positiveInt(values["log-lines"], "--log-lines", 10),
      };
    }
    case "status":
      if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0] ?? ""}"`, name);
      return { kind: "status", global, ...micOptions(values, env) };
    case "token": {
      const pod = onePod(name, rest);
      if (values.resource === undefined || values.resource === "") throw new UsageError("--resource is required (e.g. --resource https://vault.azure.net)", name);
      if (values["client-id"] !== undefined && values["resource-id"] !== undefined) {
        throw new UsageError("give at most one of --client-id and --resource-id", name);
      }
      if (values["nmi-url"] !== undefined) assertUrl(values["nmi-url"], "--nmi-url");
      return {
        kind: "token", global, pod, nmi: nmiLocator(values), resource: values.resource, showToken: values["show-token"] === true,
        ...(values["client-id"] !== undefined ? { clientId: values["client-id"] } : {}),
        ...(values["resource-id"] !== undefined ? { resourceId: values["resource-id"] } : {}),
        ...(values["nmi-url"] !== undefined ? { nmiUrl: values["nmi-url"] } : {}),
        ...(values["nmi-port"] !== undefined ? { nmiPort: port(values["nmi-port"]) } : {}),
      };
    }
  }
}

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>["values"];

function isCommand(s: string): s is CommandName {
  return (COMMANDS as readonly string[]).includes(s);
}

function onePod(command: CommandName, rest: string[]): string {
  if (rest.length === 0) throw new UsageError("a pod name is required", command);
  if (rest.length > 1) throw new UsageError(`expected one pod name, got ${rest.length}: ${rest.join(" ")}`, command);
  const pod = rest[0] ?? "";
  // `kubectl`-style "pod/name" is accepted too.
  return pod.replace(/^(pods?|po)\//, "");
}

function globalOptions(values: Values): GlobalOptions {
  const output = values.output ?? "table";
  if (output !== "table" && output !== "json") throw new UsageError(`-o/--output must be "json" or "table", not "${output}"`);
  const g: GlobalOptions = { output, requestTimeoutMs: duration(values["request-timeout"] ?? "15s") };
  if (values.kubeconfig !== undefined) g.kubeconfig = values.kubeconfig;
  if (values.context !== undefined) g.context = values.context;
  if (values.namespace !== undefined) {
    if (values.namespace === "") throw new UsageError("-n/--namespace must not be empty");
    g.namespace = values.namespace;
  }
  return g;
}

function nmiLocator(values: Values): NmiLocator {
  return { namespace: values["nmi-namespace"] ?? DEFAULT_NMI_NAMESPACE, selector: values["nmi-selector"] ?? DEFAULT_NMI_SELECTOR };
}

/** The MIC view is optional: without a URL the commands say it was skipped. */
function micOptions(values: Values, env: Env): { mic?: MicOptions; micSkipReason?: string } {
  const url = values["mic-url"] ?? nonEmpty(env.PODID_MIC_URL);
  if (url === undefined) return { micSkipReason: "no --mic-url (or PODID_MIC_URL) given" };
  assertUrl(url, "--mic-url");
  const cluster = values.cluster ?? nonEmpty(env.PODID_CLUSTER);
  if (cluster === undefined) throw new UsageError("--cluster (or PODID_CLUSTER) is required with --mic-url: the MIC keeps state per cluster name");
  const key = values["mic-key"] ?? nonEmpty(env.PODID_MIC_KEY);
  return { mic: { url, cluster, ...(key === undefined ? {} : { key }) } };
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === "" ? undefined : s;
}

function assertUrl(s: string, flag: string): void {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new UsageError(`${flag} "${s}" is not a URL`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new UsageError(`${flag} must be an http(s) URL`);
}

function positiveInt(s: string | undefined, flag: string, dflt: number): number {
  if (s === undefined) return dflt;
  if (!/^\d+$/.test(s) || Number(s) < 1) throw new UsageError(`${flag} must be a positive integer, not "${s}"`);
  return Number(s);
}

function port(s: string): number {
  const n = Number(s);
  if (!/^\d+$/.test(s) || n < 1 || n > 65535) throw new UsageError(`--nmi-port must be a port number, not "${s}"`);
  return n;
}

/** "15s", "500ms", "2m" or a bare number of seconds (kubectl's --request-timeout style). */
export function duration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(s);
  if (!m) throw new UsageError(`--request-timeout must look like 15s, 500ms or 1m, not "${s}"`);
  const n = Number(m[1]);
  const ms = m[2] === "ms" ? n : m[2] === "m" ? n * 60_000 : n * 1000;
  if (ms <= 0) throw new UsageError("--request-timeout must be positive");
  return ms;
}
