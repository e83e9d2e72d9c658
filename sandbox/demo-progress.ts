// Live progress lines for `npm start`: each AzureAssignedIdentity status change (Created →
// Assigned, or Failed with the MIC's reason) and each pod app outcome (token, or the refusal).
import { PLURALS } from "../core/index.ts";
import type { PodAppEvent } from "./demo-pods.ts";
import type { KubePeer } from "./peers/kube/index.ts";

interface AssignedShape {
  metadata: { name: string; namespace?: string };
  spec?: { pod?: string; podNamespace?: string; nodename?: string; azureIdentityRef?: { metadata?: { name?: string } } };
  status?: { status?: string; message?: string };
}

export interface Progress {
  /** Pod app outcomes come in here (wire to startPodApps' onEvent). */
  podEvent(e: PodAppEvent): void;
  stop(): void;
}

const pad = (s: string, n: number): string => (s.length >= n ? s : s + " ".repeat(n - s.length));

export function startProgress(o: {
  kube: KubePeer; print: (line: string) => void; since?: number; intervalMs?: number;
  /** Client id → identity name, for readable token lines. */
  identityName?: (clientId: string) => string | undefined;
}): Progress {
  const t0 = o.since ?? Date.now();
  const seen = new Map<string, string>();
  const line = (who: string, what: string): void => {
    o.print(`  ${pad(`+${((Date.now() - t0) / 1000).toFixed(1)}s`, 7)} ${pad(who, 20)} ${what}`);
  };
  const tick = (): void => {
    const live = new Set<string>();
    for (const a of o.kube.list(PLURALS.AzureAssignedIdentity) as unknown as AssignedShape[]) {
      const key = `${a.metadata.namespace ?? ""}/${a.metadata.name}`;
      live.add(key);
      // No status yet reads as Created (the forwarder creates the object, then sets its status).
      const state = `${a.status?.status ?? "Created"}|${a.status?.message ?? ""}`;
      if (seen.get(key) === state) continue;
      seen.set(key, state);
      const identity = a.spec?.azureIdentityRef?.metadata?.name ?? "?";
      const status = a.status?.status ?? "Created";
      const detail = status === "Failed" ? `: ${(a.status?.message ?? "").slice(0, 160)}` : ` on ${a.spec?.nodename ?? "?"}`;
      line(`${a.spec?.podNamespace ?? "?"}/${a.spec?.pod ?? "?"}`, `identity ${identity} ${status}${detail}`);
    }
    for (const key of seen.keys()) if (!live.has(key)) seen.delete(key);
  };
  const timer = setInterval(tick, o.intervalMs ?? 200);
  return {
    podEvent(e) {
      const who = `${e.namespace}/${e.pod}`;
      if (e.report.kind === "token") {
        const name = o.identityName?.(e.report.clientId);
        line(who, `got a token for ${e.report.audience} as ${name ?? e.report.clientId} through the NMI on ${e.node} (ManagedIdentityCredential)`);
      } else {
        line(who, `no token yet: ${refusal(e.report.message).slice(0, 200)}`);
      }
    },
    stop: () => clearInterval(timer),
  };
}

/** The SDK wraps NMI's error_description in boilerplate; keep the description when present. */
function refusal(message: string): string {
  const m = /Description: (.*?)(?: - Correlation ID|$)/.exec(message);
  return m?.[1] ?? message;
}
