// Which cluster, user and namespace the CLI talks to, resolved like kubectl: --kubeconfig, else
// every file in KUBECONFIG merged (first file wins for a name and for current-context), else
// ~/.kube/config, else the in-cluster service account. --context picks a context; the
// namespace is -n, else the context's namespace, else "default".
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import type { Env } from "../args.ts";
import { CliError, errorMessage } from "../errors.ts";

export interface KubeTarget {
  kc: KubeConfig;
  context: string;
  /** API server URL of the current context. */
  server: string;
  namespace: string;
  /** Where the configuration came from (for messages). */
  source: string;
}

export interface KubeTargetOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

export function loadKubeTarget(o: KubeTargetOptions, env: Env): KubeTarget {
  const { kc, source } = loadConfig(o.kubeconfig, env);
  if (o.context !== undefined) {
    if (!kc.getContextObject(o.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new CliError(`context "${o.context}" not found in ${source}`, known.length > 0 ? `contexts: ${known.join(", ")}` : undefined);
    }
    kc.setCurrentContext(o.context);
  }
  const context = kc.getCurrentContext();
  const ctx = context ? kc.getContextObject(context) : null;
  if (!ctx) throw new CliError(`no current context in ${source}`, "pass --context <name>");
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new CliError(`context "${context}" names cluster "${ctx.cluster}", which is not in ${source}`);
  return { kc, context, server: cluster.server, namespace: o.namespace ?? (ctx.namespace || "default"), source };
}

function loadConfig(explicit: string | undefined, env: Env): { kc: KubeConfig; source: string } {
  if (explicit !== undefined) return { kc: loadFile(explicit), source: explicit };
  const files = (env.KUBECONFIG ?? "").split(delimiter).filter((f) => f !== "");
  if (files.length > 0) {
    // kubectl skips KUBECONFIG entries that do not exist, but fails when none does.
    const present = files.filter((f) => existsSync(f));
    if (present.length === 0) throw new CliError(`none of the KUBECONFIG files exist: ${files.join(delimiter)}`);
    return { kc: mergeFirstWins(present.map(loadFile)), source: `KUBECONFIG (${present.join(delimiter)})` };
  }
  const home = env.HOME ?? env.USERPROFILE;
  const defaultFile = home === undefined ? undefined : join(home, ".kube", "config");
  if (defaultFile !== undefined && existsSync(defaultFile)) return { kc: loadFile(defaultFile), source: defaultFile };
  if (env.KUBERNETES_SERVICE_HOST !== undefined && env.KUBERNETES_SERVICE_PORT !== undefined) {
    const kc = new KubeConfig();
    try {
      kc.loadFromCluster();
    } catch (err) {
      throw new CliError(`cannot load the in-cluster configuration: ${errorMessage(err)}`);
    }
    return { kc, source: "the in-cluster service account" };
  }
  throw new CliError("no kubeconfig found", "pass --kubeconfig <file>, set KUBECONFIG, or create ~/.kube/config");
}

function loadFile(path: string): KubeConfig {
  const kc = new KubeConfig();
  try {
    kc.loadFromFile(path);
  } catch (err) {
    throw new CliError(`cannot load kubeconfig ${path}: ${errorMessage(err)}`);
  }
  return kc;
}

/** kubectl's merge: the first file that defines a name (or current-context) wins. */
function mergeFirstWins(configs: KubeConfig[]): KubeConfig {
  const out = new KubeConfig();
  out.loadFromOptions({ clusters: [], users: [], contexts: [], currentContext: "" });
  for (const kc of configs) {
    for (const c of kc.getClusters()) if (!out.getCluster(c.name)) out.addCluster(c);
    for (const u of kc.getUsers()) if (!out.getUser(u.name)) out.addUser(u);
    for (const c of kc.getContexts()) if (!out.getContextObject(c.name)) out.addContext(c);
    if (!out.getCurrentContext() && kc.getCurrentContext()) out.setCurrentContext(kc.getCurrentContext());
  }
  return out;
}
