// The Service Bus peer: an AMQP 1.0 listener on rhea that the real @azure/service-bus client
// talks to (UseDevelopmentEmulator=true → plain TCP), plus admin hooks for tests.
import { once } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import rhea from "rhea";
import type { ConnectionOptions } from "rhea";
import { markDisconnected } from "./amqp-util.ts";
import { buildRules } from "./cbs.ts";
import { wireConnection, type PeerContext } from "./connection.ts";
import { DLQ_SUFFIX, Queue } from "./queue.ts";
import { deadLetterView, messageView } from "./stored-message.ts";
import {
  type QueueDepth, resolveQueueOptions, type ServiceBusPeer, type StartServiceBusPeerOptions,
} from "./types.ts";

/** Key used in connection strings when no rules are configured (any key is accepted then). */
const DEFAULT_KEY_NAME = "RootManageSharedAccessKey";

export async function startServiceBusPeer(opts: StartServiceBusPeerOptions): Promise<ServiceBusPeer> {
  const host = opts.host ?? "127.0.0.1";
  const logger = opts.logger;
  const queues = new Map<string, Queue>();
  for (const q of opts.queues) queues.set(q.name.toLowerCase(), new Queue(q.name, resolveQueueOptions(q), { next: 1 }));

  function resolve(address: string): Queue | undefined {
    const a = address.toLowerCase();
    if (a.endsWith(DLQ_SUFFIX.toLowerCase())) {
      return queues.get(a.slice(0, -DLQ_SUFFIX.length))?.deadLetterQueue;
    }
    return queues.get(a);
  }

  function queueNamed(name: string): Queue {
    const q = resolve(name);
    if (!q) throw new Error(`servicebus peer: unknown queue '${name}'`);
    return q;
  }

  // A container of our own: its empty SASL mechanism list makes rhea accept both
  // SASL ANONYMOUS (connection strings) and no SASL at all (token credentials).
  const container = rhea.create_container({ id: "podid-servicebus-peer" });
  container.on("error", (err: unknown) => logger?.debug({ err }, "servicebus peer container error"));
  const rules = buildRules(opts.sasKeys, opts.sasRules);
  for (const r of rules?.values() ?? []) {
    if (r.queue !== undefined && !resolve(r.queue)) throw new Error(`servicebus peer: rule '${r.name}' names unknown queue '${r.queue}'`);
  }
  const ctx: PeerContext = { resolve, policy: { rules, acceptJwt: opts.acceptJwt }, host: () => `${host}:${port}`, logger };
  const connectionOptions = {
    container_id: "podid-servicebus-peer",
    // Defer (modified, undeliverable_here) must stay distinguishable from abandon.
    sender_options: { treat_modified_as_released: false },
    receiver_options: { autoaccept: false },
  } as unknown as ConnectionOptions;

  /** Open sockets and the promise of their 'close' (cleanup has run once it resolves). */
  const sockets = new Map<Socket, Promise<void>>();
  let server: Server | undefined;
  let port = opts.port ?? 0;
  let outageTimer: NodeJS.Timeout | undefined;

  function accept(socket: Socket): void {
    // Without NODELAY, Nagle + delayed ACK add ~40 ms to every request/response round trip.
    socket.setNoDelay(true);
    const conn = container.create_connection(connectionOptions);
    const cleanup = wireConnection(conn, ctx);
    sockets.set(socket, new Promise((res) => socket.on("close", () => {
      sockets.delete(socket);
      markDisconnected(conn);
      cleanup();
      res();
    })));
    // Connection.accept exists in rhea but not in its typings.
    (conn as unknown as { accept(s: Socket): void }).accept(socket);
  }

  async function listen(): Promise<void> {
    const s = createServer(accept);
    s.listen(port, host);
    await once(s, "listening");
    const addr = s.address();
    if (addr && typeof addr === "object") port = addr.port;
    server = s;
  }

  async function stop(): Promise<void> {
    const s = server;
    server = undefined;
    const closing = [...sockets.entries()];
    for (const [socket] of closing) socket.destroy();
    await Promise.all(closing.map(([, closed]) => closed));
    if (s) await new Promise<void>((res) => s.close(() => res()));
  }

  async function restart(): Promise<void> {
    if (!server) await listen();
  }

  await listen();
  const firstRule = rules?.values().next().value;

  const peer: ServiceBusPeer = {
    get port() { return port; },
    host,
    connectionString(keyName?: string, key?: string): string {
      const rule = keyName === undefined ? firstRule : rules?.get(keyName.toLowerCase());
      const name = keyName ?? rule?.name ?? DEFAULT_KEY_NAME;
      const value = key ?? rule?.key ?? "peer-key";
      const entity = rule?.queue === undefined ? "" : `;EntityPath=${rule.queue}`;
      return `Endpoint=sb://${host}:${port};SharedAccessKeyName=${name};SharedAccessKey=${value};UseDevelopmentEmulator=true${entity}`;
    },
    queueDepth(name: string): QueueDepth {
      const q = queueNamed(name);
      const all = q.all();
      return {
        active: all.filter((m) => m.state === "active").length,
        scheduled: all.filter((m) => m.state === "scheduled").length,
        deferred: all.filter((m) => m.state === "deferred").length,
        locked: all.filter((m) => m.lock !== undefined).length,
        deadLettered: q.deadLetterQueue?.all().length ?? 0,
      };
    },
    messages: (name) => queueNamed(name).all().map(messageView),
    deadLetters: (name) => (queueNamed(name).deadLetterQueue ?? queueNamed(name)).all().map(deadLetterView),
    connectionCount: () => sockets.size,
    stop,
    restart,
    async outage(ms: number): Promise<void> {
      await stop();
      await new Promise<void>((res) => { outageTimer = setTimeout(res, ms); });
      outageTimer = undefined;
      await restart();
    },
    async close(): Promise<void> {
      clearTimeout(outageTimer);
      await stop();
      for (const q of queues.values()) q.close();
    },
  };
  return peer;
}
