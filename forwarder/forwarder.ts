// buildForwarder(deps): the whole in-cluster forwarder, assembled from injected clients, logger,
// metrics registry and clock (no module singletons). Every replica serves probes and metrics and
// campaigns for the Lease; only the leader watches, sends and receives.
import type { ServiceBusClient } from "@azure/service-bus";
import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { ActiveWork } from "./active-work.ts";
import { kubeAssignedIdentityStore, type AssignedIdentityStore } from "./assigned-identity-store.ts";
import type { ForwarderConfig } from "./config.ts";
import { startHealthServers, type HealthServers, type Readiness } from "./health-server.ts";
import type { WatchTarget } from "./informers.ts";
import { LeaderElector } from "./leader-elector.ts";
import { kubeLeaseStore, type LeaseStore } from "./lease-store.ts";
import { createForwarderMetrics } from "./metrics.ts";
import { systemClock, type Clock } from "./timing.ts";

export interface ForwarderDeps {
  config: ForwarderConfig;
  logger: Logger;
  registry: Registry;
  kubeConfig: KubeConfig;
  /**
   * Sends mic-events, and receives mic-commands unless `commandsServiceBusClient` is given (from a
   * connection string, or `fullyQualifiedNamespace` + DefaultAzureCredential: createServiceBusClients).
   * Not closed by stop().
   */
  serviceBusClient: ServiceBusClient;
  /** Receives mic-commands when it needs other credentials (a queue-level Listen rule). Not closed by stop(). */
  commandsServiceBusClient?: ServiceBusClient;
  clock?: Clock;
  /** Overrides for embedding/tests; default to the Kubernetes API through `kubeConfig`. */
  leaseStore?: LeaseStore;
  assignedIdentities?: AssignedIdentityStore;
  watchTargets?: WatchTarget[];
}

export interface Forwarder {
  /** Starts the probe/metrics servers and the election; resolves once the servers listen. */
  start(): Promise<void>;
  /** Stops the work, releases the lease (unless `releaseLease: false`, e.g. to simulate a crash), closes the servers. */
  stop(options?: { releaseLease?: boolean }): Promise<void>;
  readonly isLeader: boolean;
  /** Bound ports (useful with port 0); undefined before start(). */
  readonly ports: { health: number; metrics: number } | undefined;
  readiness(): Readiness;
  /** Leader only: send a snapshot now (no-op on a standby). */
  requestSnapshot(): void;
}

export function buildForwarder(deps: ForwarderDeps): Forwarder {
  const { config } = deps;
  const logger = deps.logger.child({ component: "forwarder", cluster: config.cluster, identity: config.leaseIdentity });
  const metrics = createForwarderMetrics(deps.registry);
  const assignedIdentities = deps.assignedIdentities ?? kubeAssignedIdentityStore(deps.kubeConfig);
  let active: ActiveWork | undefined;
  let servers: HealthServers | undefined;
  let stopping: Promise<void> | undefined;

  const elector = new LeaderElector({
    store: deps.leaseStore ?? kubeLeaseStore(deps.kubeConfig, config.leaseNamespace, config.leaseName),
    identity: config.leaseIdentity,
    leaseDurationMs: config.leaseDurationMs,
    renewDeadlineMs: config.leaseRenewDeadlineMs,
    retryPeriodMs: config.leaseRetryPeriodMs,
    clock: deps.clock ?? systemClock,
    logger,
    onStartedLeading: async () => {
      metrics.leader.set(1);
      active = new ActiveWork({
        config, kubeConfig: deps.kubeConfig, assignedIdentities, logger, metrics,
        serviceBusClient: deps.serviceBusClient, commandsServiceBusClient: deps.commandsServiceBusClient ?? deps.serviceBusClient,
        ...(deps.watchTargets ? { watchTargets: deps.watchTargets } : {}),
      });
      await active.start();
    },
    onStoppedLeading: async () => {
      metrics.leader.set(0);
      const work = active;
      active = undefined;
      await work?.stop();
    },
  });

  const readiness = (): Readiness => {
    if (!elector.isLeader || !active) return { ready: true, role: "standby", holder: elector.currentHolder ?? null };
    const s = active.status();
    return { ready: s.synced && s.serviceBus === true, role: "leader", ...s };
  };

  return {
    async start() {
      servers = await startHealthServers({
        host: config.listenHost, healthPort: config.healthPort, metricsPort: config.metricsPort, registry: deps.registry, readiness,
      });
      metrics.leader.set(0);
      elector.start();
      logger.info({ healthPort: servers.healthPort, metricsPort: servers.metricsPort }, "forwarder started");
    },
    stop(options = {}) {
      stopping ??= (async () => {
        await elector.stop({ release: options.releaseLease !== false });
        await servers?.close();
        logger.info("forwarder stopped");
      })();
      return stopping;
    },
    get isLeader() {
      return elector.isLeader && active !== undefined;
    },
    get ports() {
      return servers ? { health: servers.healthPort, metrics: servers.metricsPort } : undefined;
    },
    readiness,
    requestSnapshot() {
      active?.requestSnapshot();
    },
  };
}
