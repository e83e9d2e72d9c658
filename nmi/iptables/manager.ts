// Installs, re-verifies and removes NMI's interception rules through an injected runner.
import { classifyFailure, IptablesError, isIptablesError } from "./errors.ts";
import { detectDrift, isClean, planEnsure, planRemove, renderAction, type Action, type Drift, type ObservedState } from "./plan.ts";
import { NAT_TABLE, parseListing, PREROUTING, type InterceptionConfig } from "./rules.ts";
import type { IptablesRunner } from "./runner.ts";

export interface IptablesLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Metric hooks; NMI wires them to prom-client counters (see metrics.ts). */
export interface IptablesHooks {
  onEnsure?(result: EnsureResult): void;
  onError?(err: IptablesError): void;
}

export interface EnsureResult {
  /** True when anything had to be changed (first install or drift). */
  repaired: boolean;
  /** unchanged: all in place; installed: nothing of ours was there; repaired: drift fixed. */
  outcome: "unchanged" | "installed" | "repaired";
  drift: Drift;
  /** Commands run, rendered for logs. */
  commands: string[];
  durationMs: number;
}

export interface IptablesManagerOptions {
  runner: IptablesRunner;
  config: InterceptionConfig;
  /** Seconds to wait for the xtables lock (`-w`). */
  lockWaitSeconds?: number;
  logger?: IptablesLogger;
  hooks?: IptablesHooks;
  now?: () => number;
}

export interface IptablesManager {
  readonly config: InterceptionConfig;
  observe(): Promise<ObservedState>;
  /** Idempotent install / repair; throws IptablesError if it cannot reach the expected state. */
  ensure(): Promise<EnsureResult>;
  /** Removes the jump, flushes and deletes the chain. Idempotent. */
  remove(): Promise<{ commands: string[] }>;
}

export function createIptablesManager(opts: IptablesManagerOptions): IptablesManager {
  const { runner, config: cfg } = opts;
  const wait = String(opts.lockWaitSeconds ?? 5);
  const now = opts.now ?? Date.now;
  let serial: Promise<unknown> = Promise.resolve();

  // ensure/remove must never interleave (verify loop vs SIGTERM): one at a time.
  function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = serial.then(fn, fn);
    serial = next.catch(() => undefined);
    return next;
  }

  async function ipt(args: readonly string[]): Promise<string> {
    const full = ["-w", wait, "-t", NAT_TABLE, ...args];
    const r = await runner.run(full);
    if (r.code === 0) return r.stdout;
    const kind = classifyFailure(r.code, r.stderr);
    throw new IptablesError(kind, `iptables ${full.join(" ")} exited ${r.code}: ${r.stderr.trim()}`, full, r.code, r.stderr);
  }

  async function observe(): Promise<ObservedState> {
    let chainRules: string[][] | null;
    try {
      chainRules = parseListing(await ipt(["-S", cfg.chain])).filter((r) => r.chain === cfg.chain).map((r) => r.spec);
    } catch (err) {
      if (!isIptablesError(err, "no-chain")) throw err;
      chainRules = null;
    }
    const prerouting = parseListing(await ipt(["-S", PREROUTING])).filter((r) => r.chain === PREROUTING).map((r) => r.spec);
    return { chainRules, prerouting };
  }

  async function apply(actions: Action[]): Promise<string[]> {
    const done: string[] = [];
    for (const a of actions) {
      try {
        await ipt(a.args);
        done.push(renderAction(a));
      } catch (err) {
        // Listed as missing but creation says it exists (iptables-nft shows chains it cannot
        // parse as missing): take it over by flushing; the following -A rebuild it.
        if (a.args[0] === "-N" && isIptablesError(err, "exists")) {
          const flush: Action = { args: ["-F", cfg.chain], why: "flush unreadable chain" };
          await ipt(flush.args);
          done.push(renderAction(flush));
          continue;
        }
        throw err;
      }
    }
    return done;
  }

  function report(err: unknown): never {
    if (err instanceof IptablesError) {
      opts.hooks?.onError?.(err);
      opts.logger?.error({ code: err.code, kind: err.kind, args: err.args }, err.message);
    }
    throw err;
  }

  async function ensureOnce(): Promise<EnsureResult> {
    const start = now();
    const before = await observe();
    const drift = detectDrift(cfg, before);
    if (isClean(drift)) return { repaired: false, outcome: "unchanged", drift, commands: [], durationMs: now() - start };
    const commands = await apply(planEnsure(cfg, before));
    const after = await observe();
    const still = detectDrift(cfg, after);
    if (!isClean(still)) {
      throw new IptablesError("drift-persists",
        `iptables rules still differ after repair (chain ${still.chain}, jump ${still.jump}); another agent may be rewriting nat/${cfg.chain}`);
    }
    const outcome = drift.chain === "missing" && drift.jump === "missing" ? "installed" : "repaired";
    return { repaired: true, outcome, drift, commands, durationMs: now() - start };
  }

  return {
    config: cfg,
    observe: () => exclusive(observe),
    ensure: () => exclusive(async () => {
      try {
        const result = await ensureOnce();
        if (result.outcome === "installed") opts.logger?.info({ commands: result.commands }, "iptables rules installed");
        if (result.outcome === "repaired") opts.logger?.warn({ drift: result.drift, commands: result.commands }, "iptables drift repaired");
        opts.hooks?.onEnsure?.(result);
        return result;
      } catch (err) {
        return report(err);
      }
    }),
    remove: () => exclusive(async () => {
      try {
        const commands = await apply(planRemove(cfg, await observe()));
        opts.logger?.info({ commands }, "iptables rules removed");
        return { commands };
      } catch (err) {
        return report(err);
      }
    }),
  };
}
