// One node's agents as the sandbox runs them: an IMDS peer for the node's VM (it issues a
// token only for identities the ARM peer shows on that host right now, so a token proves the
// MIC really assigned the identity) and a real NMI (buildNmi) in front of it. NMI's pod object
// is published in podid-system with the DaemonSet's labels and flags, and its JSON log lines
// become that pod's log, so `podid diagnose` finds both exactly as in a cluster.
import type { KubeConfig } from "@kubernetes/client-node";
import pino from "pino";
import type { Logger } from "pino";
import { Registry } from "prom-client";
import { buildNmi, parseNmiConfig } from "../nmi/index.ts";
import type { NmiConfigInput, NmiHandle } from "../nmi/index.ts";
import type { ArmPeer } from "./peers/arm/index.ts";
import { startImdsPeer } from "./peers/imds/index.ts";
import type { ImdsPeer } from "./peers/imds/index.ts";
import type { KubePeer } from "./peers/kube/index.ts";
import type { NodeSpec } from "./system-nodes.ts";

export const NMI_NAMESPACE = "podid-system";
export const NMI_LABELS = { "app.kubernetes.io/name": "podid-nmi", "app.kubernetes.io/component": "nmi" };

export interface NodeAgents {
  node: NodeSpec;
  nmi: NmiHandle;
  imds: ImdsPeer;
  /** Name of the NMI pod in podid-system. */
  nmiPod: string;
  /** `http://127.0.0.1:<port>`: what AZURE_POD_IDENTITY_AUTHORITY_HOST is for pods on this node. */
  nmiUrl: string;
  stop(): Promise<void>;
}

export interface NodeAgentOptions {
  kube: KubePeer;
  kubeConfig: KubeConfig;
  arm: ArmPeer;
  tenantId: string;
  node: NodeSpec;
  /** Also gets every NMI log line (e.g. the sandbox's own log); NMI's pod log always does. */
  logger?: Logger;
  nmi?: Partial<NmiConfigInput>;
}

export async function startNodeAgents(o: NodeAgentOptions): Promise<NodeAgents> {
  const imds = await startImdsPeer({
    host: o.node.providerId,
    tenantId: o.tenantId,
    assignments: (host) => o.arm.identitiesOf(host).map((i) => ({ resourceId: i.resourceId, clientId: i.clientId, principalId: i.principalId })),
  });
  const nmiPod = `podid-nmi-${o.node.name}`;
  const config = parseNmiConfig({
    nodeName: o.node.name,
    tokenAddress: "127.0.0.1", tokenPort: 0, probeAddress: "127.0.0.1", healthPort: 0, metricsPort: 0,
    imdsEndpoint: imds.url,
    iptables: false, // pods reach NMI directly by URL; no interception rules to leave behind
    // A sandbox assignment takes about a second: short waits keep the SDK's retries snappy.
    waitBudgetMs: 3000, pollIntervalMs: 100, retryBaseMs: 50, informerBackoffMs: 100, informerBackoffMaxMs: 1000,
    ...o.nmi,
  });
  const forward = o.logger;
  const logger = pino({ level: config.logLevel }, {
    write(line: string) {
      o.kube.appendPodLog(NMI_NAMESPACE, nmiPod, line, "nmi");
      if (forward) forwardLine(forward, line);
    },
  });
  const nmi = buildNmi({ config, logger, registry: new Registry(), kubeConfig: o.kubeConfig });
  try {
    await nmi.start();
  } catch (err) {
    await nmi.stop().catch(() => undefined);
    await imds.close();
    throw err;
  }
  const port = nmi.addresses.token.port;
  o.kube.put("pods", {
    apiVersion: "v1", kind: "Pod",
    metadata: { name: nmiPod, namespace: NMI_NAMESPACE, labels: { ...NMI_LABELS } },
    spec: {
      nodeName: o.node.name, hostNetwork: true,
      containers: [{
        name: "nmi", image: "podid-nmi:sandbox",
        args: [`--node=${o.node.name}`, "--operation-mode=standard", "--nmi-listen-address=127.0.0.1", `--nmi-port=${port}`, "--iptables=false"],
        ports: [{ containerPort: port, name: "token" }],
      }],
    },
    status: {
      phase: "Running", podIP: "127.0.0.1", hostIP: "127.0.0.1", startTime: new Date().toISOString(),
      conditions: [{ type: "Ready", status: "True" }],
    },
  });
  return {
    node: o.node, nmi, imds, nmiPod, nmiUrl: nmi.tokenUrl,
    async stop() {
      await nmi.stop();
      await imds.close();
      o.kube.remove("pods", NMI_NAMESPACE, nmiPod);
    },
  };
}

/** Re-emits one pino JSON line on another logger at its level (malformed lines are dropped). */
function forwardLine(target: Logger, line: string): void {
  try {
    const { level, msg, time: _time, pid: _pid, hostname: _host, ...rest } = JSON.parse(line) as Record<string, unknown>;
    const method = typeof level === "number" && level >= 50 ? "error" : level === 40 ? "warn" : level === 20 ? "debug" : level === 10 ? "trace" : "info";
    target[method](rest, typeof msg === "string" ? msg : "");
  } catch {
    // not JSON: nothing to forward
  }
}
