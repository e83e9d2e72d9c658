// SIGTERM handling for the rules (aad-pod-identity: remove the chain, sleep 10 s, exit).
// Removing on shutdown keeps a node without NMI from black-holing pods' IMDS traffic into a
// closed port; the price is that, until the next NMI starts, pods reach IMDS directly.
// nmi/main.ts runs its own sequence (rules, then a drain of in-flight requests, then exit: see
// nmi/interception.ts); this helper is for embedders that only need the rules removed.
import type { IptablesManager, IptablesLogger } from "./manager.ts";

export interface SignalSource {
  once(signal: NodeJS.Signals, listener: () => void): unknown;
  removeListener(signal: NodeJS.Signals, listener: () => void): unknown;
}

export interface RemoveOnSignalOptions {
  manager: IptablesManager;
  signals?: readonly NodeJS.Signals[];
  /** Emitter of signals; default `process`. */
  source?: SignalSource;
  /** Runs after the rules are gone (close servers, informers). */
  beforeExit?: () => Promise<void>;
  /** Wait between removal and exit so in-flight token requests complete; default 10 s. */
  drainMs?: number;
  exit?: (code: number) => void;
  sleep?: (ms: number) => Promise<void>;
  logger?: IptablesLogger;
}

/** Installs the handlers; returns a function that uninstalls them. */
export function removeRulesOnSignal(opts: RemoveOnSignalOptions): () => void {
  const source = opts.source ?? process;
  const signals = opts.signals ?? ["SIGTERM"];
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const drainMs = opts.drainMs ?? 10_000;
  let fired = false;

  const handler = (): void => {
    if (fired) return;
    fired = true;
    void (async () => {
      let code = 0;
      try {
        await opts.manager.remove();
      } catch (err) {
        code = 1;
        opts.logger?.error({ err }, "removing iptables rules on shutdown failed");
      }
      try {
        await opts.beforeExit?.();
      } catch (err) {
        code = 1;
        opts.logger?.error({ err }, "shutdown hook failed");
      }
      await sleep(drainMs);
      exit(code);
    })();
  };
  for (const s of signals) source.once(s, handler);
  return () => { for (const s of signals) source.removeListener(s, handler); };
}
