// prom-client wiring for the iptables hooks; the registry is injected (no module singletons).
import { Counter, type Registry } from "prom-client";
import type { IptablesHooks } from "./manager.ts";

export function iptablesMetricHooks(registry: Registry): IptablesHooks {
  const ensures = new Counter({
    name: "podid_nmi_iptables_ensure_total",
    help: "iptables verifications by outcome (unchanged, installed, repaired = drift found and fixed)",
    labelNames: ["outcome"],
    registers: [registry],
  });
  const errors = new Counter({
    name: "podid_nmi_iptables_errors_total",
    help: "iptables failures by kind (not-permitted, missing-binary, lock, drift-persists, ...)",
    labelNames: ["kind"],
    registers: [registry],
  });
  return {
    onEnsure: (r) => ensures.inc({ outcome: r.outcome }),
    onError: (e) => errors.inc({ kind: e.kind }),
  };
}
