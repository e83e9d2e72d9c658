// buildNmi(deps): assembles the NMI from injected pieces (no module singletons), so tests,
// the sandbox and the container entry point all run the same code.
import type http from "node:http";
import type { AddressInfo } from "node:net";
import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { NmiConfig } from "./config.ts";
import { createHealthServer, createMetricsServer } from "./http/probe-servers.ts";
import { createTokenServer } from "./http/token-server.ts";
import { createNmiMetrics } from "./metrics.ts";
import { Lifetime } from "./pipeline/lifetime.ts";
import type { NmiRuntime } from "./pipeline/runtime.ts";
import { ALL_KINDS, createInformers } from "./state/informers.ts";
import { NmiStore, type NmiStateView } from "./state/store.ts";
import { TokenCache } from "./tokens/cache.ts";
import { ImdsClient } from "./tokens/imds-client.ts";
import { createImdsTokenSource } from "./tokens/imds-source.ts";
import { UpstreamLimiter } from "./tokens/limiter.ts";
import { createMsalTokenSource } from "./tokens/msal-source.ts";
import { createKubeSecretReader, type SecretReader } from "./tokens/secrets.ts";
import { systemClock, type Clock, type TokenSources } from "./tokens/types.ts";

export interface NmiDeps {
  config: NmiConfig;
  logger: Logger;
  registry: Registry;
  kubeConfig: KubeConfig;
  clock?: Clock;
  /** Replace token sources (unit tests); unspecified ones are the real ones. */
  tokenSources?: Partial<TokenSources>;
  /** Replace the Secret reader (unit tests). */
  secretReader?: SecretReader;
}

export interface NmiAddresses {
  token: AddressInfo;
  health: AddressInfo;
  metrics: AddressInfo;
}

export interface NmiHandle {
  start(): Promise<void>;
  /**
   * Stops serving. With `drainMs`, the token server first stops accepting connections and
   * in-flight requests get up to `drainMs` to finish (SIGTERM after the rules are removed).
   */
  stop(opts?: { drainMs?: number }): Promise<void>;
  /** Bound addresses; throws before start() resolved. */
  readonly addresses: NmiAddresses;
  /** `http://<token address>:<port>`, for AZURE_POD_IDENTITY_AUTHORITY_HOST. */
  readonly tokenUrl: string;
  readonly state: NmiStateView;
  isReady(): boolean;
  /** Drops cached tokens (tests). */
  clearTokenCache(): void;
}

function listen(server: http.Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Stops accepting, lets in-flight requests finish; resolves early when none is left. */
function drain(server: http.Server, ms: number): Promise<void> {
  if (!server.listening || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    // close() also ends idle keep-alive sockets (Node ≥ 19) and busy ones once answered.
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    // After drain() the server no longer listens but may still hold busy sockets.
    if (!server.listening) {
      server.closeAllConnections();
      return resolve();
    }
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export function buildNmi(deps: NmiDeps): NmiHandle {
  const { config } = deps;
  const logger = deps.logger.child({ component: "nmi", node: config.nodeName });
  const clock = deps.clock ?? systemClock;
  const metrics = createNmiMetrics(deps.registry);
  const store = new NmiStore(ALL_KINDS, (n) => metrics.podsIndexed.set(n));
  const limiter = new UpstreamLimiter({
    concurrency: config.upstreamConcurrency,
    ratePerSecond: config.upstreamRatePerSecond,
    now: () => clock.now(),
    onInflightChange: (n) => metrics.upstreamInflight.set(n),
  });
  const imds = new ImdsClient(config.imdsEndpoint, limiter, metrics);
  const secrets = deps.secretReader ?? createKubeSecretReader(deps.kubeConfig);
  const msalSecret = createMsalTokenSource({ kind: "secret", secrets, clock, retryBaseMs: config.retryBaseMs });
  const msalCert = createMsalTokenSource({ kind: "certificate", secrets, clock, retryBaseMs: config.retryBaseMs });
  const sources: TokenSources = {
    msi: deps.tokenSources?.msi ?? createImdsTokenSource({ client: imds, clock, retryBaseMs: config.retryBaseMs }),
    secret: deps.tokenSources?.secret ?? msalSecret,
    certificate: deps.tokenSources?.certificate ?? msalCert,
  };
  const cache = new TokenCache({ now: () => clock.now(), refreshMarginSeconds: config.refreshMarginSeconds });
  const lifetime = new Lifetime();
  const rt: NmiRuntime = { config, logger, metrics, store, clock, cache, sources, imds, lifetime };
  const informers = createInformers({
    kubeConfig: deps.kubeConfig,
    store,
    logger,
    nodeName: config.nodeName,
    namespace: config.namespace,
    backoffMs: config.informerBackoffMs,
    backoffMaxMs: config.informerBackoffMaxMs,
  });
  const tokenServer = createTokenServer(rt);
  const healthServer = createHealthServer(() => store.synced() && tokenServer.listening);
  const metricsServer = createMetricsServer(deps.registry);
  let addresses: NmiAddresses | undefined;

  async function waitForSync(): Promise<void> {
    const life = lifetime.scope();
    try {
      while (!store.synced()) {
        if (life.signal.aborted) throw new Error("NMI stopped before the informers synced");
        const v = store.version;
        const nap = new AbortController();
        try {
          await Promise.race([store.changed(v, nap.signal), clock.sleep(1000, life.signal)]);
        } finally {
          nap.abort();
        }
      }
    } finally {
      life.release();
    }
  }

  return {
    async start() {
      // Probes first: liveness answers while we sync, readiness says "not yet".
      const health = await listen(healthServer, config.healthPort, config.probeAddress);
      const metricsAddr = await listen(metricsServer, config.metricsPort, config.probeAddress);
      logger.info({ mode: config.mode, namespace: config.namespace ?? "(all)" }, "starting informers");
      await informers.start();
      await waitForSync();
      const token = await listen(tokenServer, config.tokenPort, config.tokenAddress);
      addresses = { token, health, metrics: metricsAddr };
      logger.info({ token: `${token.address}:${token.port}`, health: health.port, metrics: metricsAddr.port }, "NMI ready");
    },
    async stop(opts = {}) {
      await drain(tokenServer, opts.drainMs ?? 0);
      lifetime.stop();
      limiter.close();
      await Promise.all([close(tokenServer), close(healthServer), close(metricsServer)]);
      await informers.stop();
      imds.close();
      msalSecret.clear();
      msalCert.clear();
      logger.info("NMI stopped");
    },
    get addresses() {
      if (!addresses) throw new Error("NMI not started");
      return addresses;
    },
    get tokenUrl() {
      if (!addresses) throw new Error("NMI not started");
      const host = addresses.token.family === "IPv6" ? `[${addresses.token.address}]` : addresses.token.address;
      return `http://${host}:${addresses.token.port}`;
    },
    state: store,
    isReady: () => store.synced() && tokenServer.listening,
    clearTokenCache: () => cache.clear(),
  };
}
