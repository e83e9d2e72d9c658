// The forwarder as the sandbox runs it: built with buildForwarder over the kube peer and a
// Service Bus client of its own, restartable (a restart sends a fresh snapshot).
import { ServiceBusClient } from "@azure/service-bus";
import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { Registry } from "prom-client";
import { buildForwarder, forwarderConfig } from "../forwarder/index.ts";
import type { Forwarder, ForwarderConfigInput } from "../forwarder/index.ts";

export interface SandboxForwarderOptions {
  cluster: string;
  kubeConfig: KubeConfig;
  serviceBusConnectionString: string;
  logger: Logger;
  /** Overrides of the sandbox's short timings (resync period, lease, batching…). */
  config?: Partial<ForwarderConfigInput>;
}

export interface SandboxForwarder {
  readonly current: Forwarder | undefined;
  readonly registry: Registry | undefined;
  /** Starts a new replica (fresh informers → fresh snapshot). */
  start(): Promise<Forwarder>;
  /** `releaseLease: false` simulates a crash (the next replica waits for the lease to expire). */
  stop(opts?: { releaseLease?: boolean }): Promise<void>;
  restart(opts?: { releaseLease?: boolean }): Promise<Forwarder>;
}

/** Sandbox timings: converges in about a second; everything else is the forwarder's default. */
export function sandboxForwarderConfig(cluster: string, identity: string, over: Partial<ForwarderConfigInput> = {}) {
  return forwarderConfig({
    cluster, leaseIdentity: identity, leaseNamespace: "podid-system",
    listenHost: "127.0.0.1", healthPort: 0, metricsPort: 0,
    batchMaxWaitMs: 20, receiveWaitMs: 200, resyncPeriodMs: 60_000,
    leaseDurationMs: 2000, leaseRenewDeadlineMs: 1500, leaseRetryPeriodMs: 200,
    sendRetryInitialMs: 100, sendRetryMaxMs: 1000,
    watchRetryInitialMs: 100, watchRetryMaxMs: 1000,
    receiverRetryInitialMs: 100, receiverRetryMaxMs: 1000,
    ...over,
  });
}

export function sandboxForwarder(o: SandboxForwarderOptions): SandboxForwarder {
  let current: { forwarder: Forwarder; registry: Registry; client: ServiceBusClient } | undefined;
  let generation = 0;
  const start = async (): Promise<Forwarder> => {
    if (current) return current.forwarder;
    generation++;
    const registry = new Registry();
    // Short SDK retries: an outage reaches the forwarder's own backoff loop quickly.
    const client = new ServiceBusClient(o.serviceBusConnectionString, {
      retryOptions: { maxRetries: 1, retryDelayInMs: 100, maxRetryDelayInMs: 500, timeoutInMs: 5000 },
    });
    const forwarder = buildForwarder({
      config: sandboxForwarderConfig(o.cluster, `forwarder-${generation}`, o.config),
      logger: o.logger, registry, kubeConfig: o.kubeConfig, serviceBusClient: client,
    });
    await forwarder.start();
    current = { forwarder, registry, client };
    return forwarder;
  };
  const stop = async (opts: { releaseLease?: boolean } = {}): Promise<void> => {
    const c = current;
    current = undefined;
    if (!c) return;
    await c.forwarder.stop(opts);
    await c.client.close();
  };
  return {
    get current() { return current?.forwarder; },
    get registry() { return current?.registry; },
    start,
    stop,
    async restart(opts) {
      await stop(opts);
      return start();
    },
  };
}
