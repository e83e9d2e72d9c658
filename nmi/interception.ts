// What nmi/main.ts does with iptables, configured by NmiConfig: a preflight that fails fast with
// a clear error when iptables cannot be used, the route_localnet check (or setting), the rules
// (ensure), the periodic re-verify and the removal on shutdown. Runner and sysctl access are
// injected so the sequence is unit-tested without root.
import type { Logger } from "pino";
import { Gauge, type Registry } from "prom-client";
import type { NmiConfig } from "./config.ts";
import {
  checkRouteLocalnet, classifyFailure, createIptablesManager, describeRouteLocalnet, enableRouteLocalnet, execIptablesRunner,
  interceptionConfig, iptablesMetricHooks, IptablesError, NAT_TABLE, needsRouteLocalnet, nodeSysctlFs, PREROUTING, startVerifyLoop,
  type EnsureResult, type IptablesManager, type IptablesRunner, type RouteLocalnetReport, type SysctlFs, type VerifyLoop,
} from "./iptables/index.ts";

/** Why interception could not be set up; main.ts exits with EXIT_INTERCEPTION. */
export class InterceptionError extends Error {
  override readonly name = "InterceptionError";
  constructor(readonly code: string, message: string, readonly kind = "") {
    super(message);
  }
}

export const ROUTE_LOCALNET_ERROR = "PODID_ERR_ROUTE_LOCALNET";
const LOCAL_HINT = "(to run NMI without interception, e.g. locally without root, pass --iptables=false)";

export interface InterceptionOptions {
  config: NmiConfig;
  logger: Logger;
  registry: Registry;
  /** Default: execs `config.iptablesCommand`. */
  runner?: IptablesRunner;
  sysctl?: SysctlFs;
  /** Default /proc/sys/net/ipv4/conf (tests point it elsewhere). */
  confDir?: string;
}

export interface Interception {
  /** Lists nat/PREROUTING: proves the binary, the privilege and the nat table before anything else. */
  preflight(): Promise<void>;
  /** Applies `config.routeLocalnet`; throws InterceptionError when `set` cannot write the flag. */
  routeLocalnet(): Promise<RouteLocalnetReport | undefined>;
  /** Idempotent install with DNAT to `config.tokenAddress:port`; starts the verify loop once. */
  install(port: number): Promise<EnsureResult>;
  /** Stops the verify loop and removes the rules (also if a previous NMI left them). Idempotent. */
  remove(): Promise<void>;
  readonly installed: boolean;
}

function wrap(err: unknown): InterceptionError {
  if (err instanceof InterceptionError) return err;
  if (err instanceof IptablesError) return new InterceptionError(err.code, `${err.message} ${LOCAL_HINT}`, err.kind);
  return new InterceptionError("PODID_ERR_IPTABLES_FAILED", `${err instanceof Error ? err.message : String(err)} ${LOCAL_HINT}`);
}

export function createInterception(o: InterceptionOptions): Interception {
  const { config, logger } = o;
  const log = logger.child({ component: "iptables" });
  const runner = o.runner ?? execIptablesRunner({ command: [config.iptablesCommand], timeoutMs: (config.iptablesLockWaitSeconds + 10) * 1000 });
  const sysctl = o.sysctl ?? nodeSysctlFs;
  const hooks = iptablesMetricHooks(o.registry);
  const routeOk = new Gauge({
    name: "podid_nmi_route_localnet_ok",
    help: "1 when DNAT to the loopback token address can work (route_localnet on every pod-facing link), else 0",
    registers: [o.registry],
  });
  let manager: IptablesManager | undefined;
  let managerPort = 0;
  let loop: VerifyLoop | undefined;
  let closed = false;
  let lastMissing = "";
  const sysOpts = { fs: sysctl, ...(o.confDir === undefined ? {} : { confDir: o.confDir }) };

  function managerFor(port: number): IptablesManager {
    if (manager && managerPort === port) return manager;
    const cfg = interceptionConfig({ targetAddress: config.tokenAddress, targetPort: port, metadataIp: config.metadataIp, metadataPort: config.metadataPort });
    manager = createIptablesManager({ runner, config: cfg, lockWaitSeconds: config.iptablesLockWaitSeconds, logger: log, hooks });
    managerPort = port;
    return manager;
  }

  /** Re-checked on every verify pass (a CNI or admin can reset it); logs only on change. */
  async function recheckRouteLocalnet(): Promise<void> {
    if (config.routeLocalnet === "ignore" || !needsRouteLocalnet(config.tokenAddress)) return;
    const r = await checkRouteLocalnet(sysOpts);
    routeOk.set(r.ok ? 1 : 0);
    const missing = r.missing.join(",");
    if (missing !== lastMissing && !r.ok) log.warn({ missing: r.missing.slice(0, 20), count: r.missing.length }, describeRouteLocalnet(r));
    lastMissing = missing;
  }

  return {
    get installed() {
      return loop !== undefined;
    },
    async preflight() {
      try {
        const args = ["-w", String(config.iptablesLockWaitSeconds), "-t", NAT_TABLE, "-S", PREROUTING];
        const r = await runner.run(args);
        if (r.code !== 0) throw new IptablesError(classifyFailure(r.code, r.stderr), `${config.iptablesCommand} ${args.join(" ")} exited ${r.code}: ${r.stderr.trim()}`, args, r.code, r.stderr);
      } catch (err) {
        if (err instanceof IptablesError) hooks.onError?.(err);
        throw wrap(err);
      }
    },
    async routeLocalnet() {
      if (config.routeLocalnet === "ignore" || !needsRouteLocalnet(config.tokenAddress)) return undefined;
      let report = await checkRouteLocalnet(sysOpts);
      if (!report.ok && config.routeLocalnet === "set") {
        try {
          await enableRouteLocalnet(["all"], sysOpts);
        } catch (err) {
          throw new InterceptionError(ROUTE_LOCALNET_ERROR,
            `cannot set net.ipv4.conf.all.route_localnet=1 (${err instanceof Error ? err.message : String(err)}): /proc/sys is read-only ` +
            "in unprivileged containers; set it on the node (kube-proxy does) and use --route-localnet=check");
        }
        log.info({ previouslyMissing: report.missing.slice(0, 20) }, "set net.ipv4.conf.all.route_localnet=1");
        report = await checkRouteLocalnet(sysOpts);
      }
      routeOk.set(report.ok ? 1 : 0);
      lastMissing = report.missing.join(",");
      if (!report.ok) log.warn({ missing: report.missing.slice(0, 20), count: report.missing.length }, describeRouteLocalnet(report));
      return report;
    },
    async install(port) {
      if (closed) throw new InterceptionError("PODID_ERR_IPTABLES_CLOSED", "NMI is stopping: not installing iptables rules");
      let result: EnsureResult;
      try {
        result = await managerFor(port).ensure();
      } catch (err) {
        throw wrap(err);
      }
      if (!loop && !closed) {
        const m = managerFor(port);
        loop = startVerifyLoop(m, {
          intervalMs: config.iptablesUpdateIntervalSeconds * 1000,
          // The manager already logged and counted the failure; the next pass tries again.
          onResult: () => void recheckRouteLocalnet().catch(() => undefined),
        });
      }
      return result;
    },
    async remove() {
      closed = true;
      await loop?.stop();
      // Also when nothing was installed by us: a previous NMI on this node may have left them.
      // (Only the chain and jumps are touched; the DNAT target does not matter for removal.)
      try {
        await managerFor(managerPort === 0 ? config.tokenPort || 1 : managerPort).remove();
      } catch (err) {
        throw wrap(err);
      }
    },
  };
}
