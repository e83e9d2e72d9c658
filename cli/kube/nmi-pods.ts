// Finding the NMI that serves a node, and reading its settings from the DaemonSet pod spec
// (flags win over env, as in nmi/config.ts), so diagnosis matches the mode NMI really runs in.
import type { Pod } from "../../core/index.ts";
import { DEFAULT_NMI_PORT, type NmiLocator } from "../args.ts";
import type { KubeApi } from "./api.ts";
import { listPods, podContainers, podReady, type Container } from "./reads.ts";

export interface NmiPodInfo {
  namespace: string;
  name: string;
  phase: string;
  /** undefined when the pod reports no conditions. */
  ready: boolean | undefined;
  container: string | undefined;
  mode: "standard" | "managed";
  forceNamespaced: boolean;
  tokenPort: number;
}

/** NMI pods on `node` (normally one; a rolling update briefly shows two). */
export async function findNmiPods(api: KubeApi, locator: NmiLocator, node: string): Promise<NmiPodInfo[]> {
  const pods = await listPods(api, locator.namespace, { labelSelector: locator.selector, fieldSelector: `spec.nodeName=${node}` });
  return pods.filter((p) => p.spec.nodeName === node).map(nmiPodInfo).sort((a, b) => rank(a) - rank(b));
}

/** Running and ready first, so callers can take the first one. */
function rank(p: NmiPodInfo): number {
  return (p.phase === "Running" ? 0 : 2) + (p.ready === false ? 1 : 0);
}

export function nmiPodInfo(pod: Pod): NmiPodInfo {
  const containers = podContainers(pod);
  const c = containers.find((x) => /nmi/i.test(x.name)) ?? containers[0];
  const setting = (flags: string[], envName: string): string | undefined => (c ? settingOf(c, flags, envName) : undefined);
  const mode = setting(["operation-mode"], "NMI_OPERATION_MODE") === "managed" ? "managed" : "standard";
  const force = setting(["forceNamespaced", "force-namespaced"], "FORCENAMESPACED");
  const port = Number(setting(["nmi-port"], "NMI_PORT"));
  return {
    namespace: pod.metadata.namespace ?? "default",
    name: pod.metadata.name,
    phase: pod.status.phase ?? "Unknown",
    ready: podReady(pod),
    container: c?.name,
    mode,
    forceNamespaced: force === "true" || force === "1",
    tokenPort: Number.isInteger(port) && port > 0 ? port : DEFAULT_NMI_PORT,
  };
}

/** `--flag=value`, `--flag value`, bare `--flag` (booleans), then the env var. */
function settingOf(c: Container, flags: string[], envName: string): string | undefined {
  const argv = [...(c.command ?? []), ...(c.args ?? [])];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    for (const f of flags) {
      if (a === `--${f}` || a === `-${f}`) {
        const next = argv[i + 1];
        return next === undefined || next.startsWith("-") ? "true" : next;
      }
      if (a.startsWith(`--${f}=`) || a.startsWith(`-${f}=`)) return a.slice(a.indexOf("=") + 1);
    }
  }
  return c.env?.find((e) => e.name === envName)?.value;
}
