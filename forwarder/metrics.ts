// Forwarder metrics, registered on an injected prom-client Registry (no global registry).
import { Counter, Gauge, type Registry } from "prom-client";

export interface ForwarderMetrics {
  events: Counter<"kind" | "op">;
  messagesSent: Counter;
  sendErrors: Counter;
  queueDepth: Gauge;
  snapshots: Counter;
  commands: Counter<"op" | "result">;
  leader: Gauge;
  watchRestarts: Counter<"kind">;
  receiverErrors: Counter;
}

export function createForwarderMetrics(registry: Registry): ForwarderMetrics {
  const registers = [registry];
  return {
    events: new Counter({ name: "podid_forwarder_events_total", help: "Object changes seen by the informers, by kind and op (upsert|delete)", labelNames: ["kind", "op"], registers }),
    messagesSent: new Counter({ name: "podid_forwarder_messages_sent_total", help: "Messages sent to mic-events (object events and snapshot parts)", registers }),
    sendErrors: new Counter({ name: "podid_forwarder_send_errors_total", help: "Failed Service Bus batch sends (retried; events stay queued)", registers }),
    queueDepth: new Gauge({ name: "podid_forwarder_queue_depth", help: "Objects with a change waiting to be sent", registers }),
    snapshots: new Counter({ name: "podid_forwarder_snapshots_total", help: "Complete snapshots sent", registers }),
    commands: new Counter({ name: "podid_forwarder_commands_total", help: "mic-commands handled, by op (apply|delete|invalid) and result (completed|dead_lettered|abandoned)", labelNames: ["op", "result"], registers }),
    leader: new Gauge({ name: "podid_forwarder_leader", help: "1 while this replica holds the lease and does the work", registers }),
    receiverErrors: new Counter({ name: "podid_forwarder_command_receiver_errors_total", help: "Failed attempts to hold or read the mic-commands session (retried; e.g. refused credentials, session still held by the old leader)", registers }),
    watchRestarts: new Counter({ name: "podid_forwarder_watch_restarts_total", help: "Informer restarts after a watch or list error, by kind", labelNames: ["kind"], registers }),
  };
}
