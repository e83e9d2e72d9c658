// The whole podid system on loopback, every component through its real SDK:
//   kube-apiserver peer ⇄ forwarder (buildForwarder) ⇄ Service Bus peer (mic-events, mic-commands)
//   ⇄ the MIC function app (functions/ on the durable host, micEvents fed by the trigger driver)
//   ⇄ ARM peer (+ Entra ID peer for the MIC's token), state in Azurite.
// With `scaleSets`, a simulated cluster too: nodes on VM scale sets, one IMDS peer + NMI per
// node, a stand-in kubelet giving pods addresses; with `httpApi`, the app's HTTP routes.
// `npm start` and the end-to-end tests both start it with startSystem().
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import pino from "pino";
import type { Logger } from "pino";
import { COMMANDS_QUEUE, EVENTS_QUEUE } from "../core/index.ts";
import type { ForwarderConfigInput } from "../forwarder/index.ts";
import { startAzurite } from "./azurite.ts";
import type { AzuriteHandle } from "./azurite.ts";
import type { DurableHost } from "./durable-host/index.ts";
import { startArmPeer } from "./peers/arm/index.ts";
import type { ArmPeer } from "./peers/arm/index.ts";
import { startEntraPeer } from "./peers/entra/index.ts";
import type { EntraPeer } from "./peers/entra/index.ts";
import { kubeConfigFor, startKubePeer, writeKubeconfig } from "./peers/kube/index.ts";
import type { KubePeer } from "./peers/kube/index.ts";
import { startServiceBusPeer } from "./peers/servicebus/index.ts";
import type { ServiceBusPeer } from "./peers/servicebus/index.ts";
import type { ServiceBusTrigger } from "./servicebus-trigger/index.ts";
import { sandboxForwarder } from "./system-forwarder.ts";
import type { SandboxForwarder } from "./system-forwarder.ts";
import { startFunctionsHttp } from "./system-http.ts";
import type { FunctionsHttp } from "./system-http.ts";
import { startKubelet } from "./system-kubelet.ts";
import { startMicApp, SANDBOX_TENANT } from "./system-mic.ts";
import type { MicAppOptions } from "./system-mic.ts";
import { startNodeAgents } from "./system-nmi.ts";
import type { NodeAgents } from "./system-nmi.ts";
import { addNodes } from "./system-nodes.ts";
import type { ScaleSetSpec } from "./system-nodes.ts";

export interface SystemOptions {
  /** Cluster name: Service Bus session id and state partition. Default "sandbox". */
  cluster?: string;
  host?: string;
  /** Fixed ports (0 = any free port). */
  ports?: { kube?: number; serviceBus?: number; arm?: number; entra?: number };
  /** Certificate for the HTTPS peers (ARM, Entra ID); its CA must be in NODE_EXTRA_CA_CERTS. */
  tls: { cert: string; key: string };
  /** kubeconfig and other files go here (default: a new temp dir, removed by stop()). */
  stateDir?: string;
  logger?: Logger;
  /** Resource groups of the sandbox's "Azure": nodes' hosts and identities. */
  azure?: { subscriptionId?: string; nodeResourceGroup?: string; identityResourceGroup?: string };
  forwarder?: Partial<ForwarderConfigInput>;
  mic?: Partial<MicAppOptions>;
  /** How long an ARM identity update runs (default 100 ms). */
  armOperationDurationMs?: number;
  /** Watch BOOKMARK cadence of the kube peer (default 5 s). */
  bookmarkIntervalMs?: number;
  /** Simulated nodes: scale sets in the ARM peer, Node objects, IMDS + NMI per node, a kubelet. */
  scaleSets?: ScaleSetSpec[];
  /** Serve the function app's HTTP routes (MIC status API) on loopback; port 0 = any. */
  httpApi?: { port?: number; key?: string };
  /** Where NMI log lines go besides their pod log (default: nowhere). */
  nmiLogger?: Logger;
}

export interface SystemPeers {
  kube: KubePeer;
  serviceBus: ServiceBusPeer;
  arm: ArmPeer;
  entra: EntraPeer;
  azurite: AzuriteHandle;
}

export interface System {
  cluster: string;
  /** Path of a kubeconfig file for kubectl / client-node. */
  kubeconfig: string;
  kubeConfig: KubeConfig;
  peers: SystemPeers;
  azure: { subscriptionId: string; nodeResourceGroup: string; identityResourceGroup: string; tenantId: string };
  durableHost: DurableHost;
  trigger: ServiceBusTrigger;
  forwarder: SandboxForwarder;
  /** App settings the function app runs with. */
  appSettings: Readonly<Record<string, string>>;
  /** One per simulated node (empty without `scaleSets`). */
  nodes: NodeAgents[];
  /** The function app's HTTP routes (with `httpApi`). */
  functionsHttp: FunctionsHttp | undefined;
  stop(): Promise<void>;
}

export const SANDBOX_SUBSCRIPTION = "00000000-0000-4000-8000-000000000000";

export async function startSystem(opts: SystemOptions): Promise<System> {
  const cluster = opts.cluster ?? "sandbox";
  const host = opts.host ?? "127.0.0.1";
  const logger = opts.logger ?? pino({ level: "silent" });
  const ownStateDir = opts.stateDir === undefined;
  const stateDir = opts.stateDir ?? mkdtempSync(join(tmpdir(), "podid-system-"));
  mkdirSync(stateDir, { recursive: true });
  const azure = {
    subscriptionId: opts.azure?.subscriptionId ?? SANDBOX_SUBSCRIPTION,
    nodeResourceGroup: opts.azure?.nodeResourceGroup ?? `MC_podid_${cluster}_local`,
    identityResourceGroup: opts.azure?.identityResourceGroup ?? "podid-identities",
    tenantId: SANDBOX_TENANT,
  };

  // Started in order, stopped in reverse; a failure half-way stops what already runs.
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const s of stops.splice(0).reverse()) {
      try { await s(); } catch (err) { logger.warn({ err }, "system: stopping a component failed"); }
    }
    if (ownStateDir) rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    const kube = await startKubePeer({ host, port: opts.ports?.kube ?? 0, bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 5000 });
    stops.push(() => kube.close());
    kube.ensureNamespace("podid-system");
    const kubeconfig = join(stateDir, "kubeconfig");
    writeKubeconfig(kubeconfig, kube.url);
    const kubeConfig = kubeConfigFor(kube);

    const serviceBus = await startServiceBusPeer({
      host, port: opts.ports?.serviceBus ?? 0,
      queues: [
        // ADR 0002: malformed events reach the DLQ after MaxDeliveryCount deliveries.
        { name: EVENTS_QUEUE, requiresSession: true, duplicateDetectionWindowMs: 10 * 60_000, maxDeliveryCount: 5, lockDurationMs: 60_000 },
        { name: COMMANDS_QUEUE, requiresSession: true, duplicateDetectionWindowMs: 10 * 60_000, maxDeliveryCount: 10, lockDurationMs: 60_000 },
      ],
    });
    stops.push(() => serviceBus.close());

    const entra = await startEntraPeer({ ...opts.tls, address: host, port: opts.ports?.entra ?? 0 });
    stops.push(() => entra.close());
    const arm = await startArmPeer({ ...opts.tls, address: host, port: opts.ports?.arm ?? 0, tenantId: azure.tenantId, operationDurationMs: opts.armOperationDurationMs ?? 100 });
    stops.push(() => arm.close());

    const azurite = await startAzurite();
    stops.push(() => azurite.stop());

    const mic = await startMicApp({
      cluster, logger: logger.child({ component: "mic" }), serviceBus, arm, azurite, azure,
      ...opts.mic,
    });
    stops.push(() => mic.stop());

    let functionsHttp: FunctionsHttp | undefined;
    if (opts.httpApi) {
      const http = await startFunctionsHttp({
        app: mic.app, host, port: opts.httpApi.port ?? 0,
        ...(opts.httpApi.key === undefined ? {} : { key: opts.httpApi.key }),
        inputs: () => ({ durableClient: mic.durableHost.durableClientInput() }),
      });
      functionsHttp = http;
      stops.push(() => http.close());
    }

    // Nodes before the forwarder starts, so its first snapshot already carries them.
    const nodes: NodeAgents[] = [];
    if (opts.scaleSets && opts.scaleSets.length > 0) {
      kube.ensureNamespace("podid-system");
      const specs = addNodes({ kube, arm, scaleSets: opts.scaleSets, azure });
      const started = await Promise.allSettled(specs.map((node) => startNodeAgents({
        kube, kubeConfig, arm, tenantId: azure.tenantId, node, ...(opts.nmiLogger ? { logger: opts.nmiLogger } : {}),
      })));
      for (const r of started) {
        if (r.status === "fulfilled") { nodes.push(r.value); stops.push(() => r.value.stop()); }
      }
      const failed = started.find((r) => r.status === "rejected");
      if (failed) throw failed.reason;
      const kubelet = startKubelet({ kube, nodes: specs });
      stops.push(() => Promise.resolve(kubelet.stop()));
    }

    const forwarder = sandboxForwarder({
      cluster, kubeConfig, serviceBusConnectionString: serviceBus.connectionString(), logger: logger.child({ component: "forwarder" }),
      ...(opts.forwarder ? { config: opts.forwarder } : {}),
    });
    stops.push(() => forwarder.stop());
    await forwarder.start();

    return {
      cluster, kubeconfig, kubeConfig, azure, forwarder,
      peers: { kube, serviceBus, arm, entra, azurite },
      durableHost: mic.durableHost,
      trigger: mic.trigger,
      appSettings: mic.settings,
      nodes, functionsHttp,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
