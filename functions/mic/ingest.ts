// micEvents as a plain function: parse one mic-events body with core, write it to the cluster
// state (the single writer per cluster, serialised by the Service Bus session), then poke every
// host whose generation it bumped. Returns a per-message result; the trigger registration
// (functions/app.ts) turns a rejected message into MalformedMessageError (ADR 0002).
import type { Logger } from "pino";
import { parseMicEvent, type DeadLetterReasonCode } from "../../core/index.ts";
import { RowConflictError, ingestEvent, type ClusterStateStore, type IngestReason } from "./state/index.ts";
import { pokeHosts, type OrchestrationClient, type PokeOutcome } from "./poke.ts";

export type IngestOutcome =
  | { ok: false; reason: DeadLetterReasonCode; description: string }
  | { ok: true; cluster: string; applied: boolean; reason: IngestReason; pokes: PokeOutcome[] };

export interface IngestDeps {
  store: ClusterStateStore;
  client: OrchestrationClient;
  logger: Logger;
}

const CONFLICT_ATTEMPTS = 4;

export async function ingest(body: unknown, sessionId: string | undefined, deps: IngestDeps): Promise<IngestOutcome> {
  const parsed = parseMicEvent(body, sessionId);
  if (!parsed.ok) return { ok: false, reason: parsed.reason, description: parsed.description };
  const event = parsed.message;
  // Another ingest of the same cluster won the meta row (only possible outside sessions, e.g.
  // the resync API): re-read and try again rather than fail the message.
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await ingestEvent(deps.store, event);
      const pokes = await pokeHosts(deps.client, event.cluster, result.affectedHosts);
      const failed = pokes.filter((p) => p.action === "failed");
      // The state is written: a failed poke is repaired by the resync timer (the host's
      // generation lags), so it is logged, not thrown (a redelivery would be a duplicate).
      if (failed.length > 0) deps.logger.error({ cluster: event.cluster, failed }, "mic: could not poke host orchestrations");
      return { ok: true, cluster: event.cluster, applied: result.applied, reason: result.reason, pokes };
    } catch (e) {
      if (!(e instanceof RowConflictError) || attempt >= CONFLICT_ATTEMPTS) throw e;
      await new Promise((r) => setTimeout(r, 20 * attempt));
    }
  }
}
