// One client AMQP connection: routes link attaches ($cbs, $management, entities), inbound
// messages, flows and dispositions, and cleans up when the connection goes away.
import type { Connection, Delivery, EventContext, Receiver, Sender } from "rhea";
import { asRecord, asString, localAttach, msToTicksLong, sendMessage } from "./amqp-util.ts";
import { authorize, type CbsPolicy, type Grants, handlePutToken } from "./cbs.ts";
import { type AmqpMessage, decodeTransfer, encodeMessage } from "./codec.ts";
import { handleManagement, managementFailure, managementRight } from "./management.ts";
import { OutboundLink } from "./outbound-link.ts";
import type { Queue } from "./queue.ts";
import { type AmqpFailure, Cond, fail, isFailure, type PeerLogger, type SasRight } from "./types.ts";

export interface PeerContext {
  /** Queue or dead-letter sub-queue for an entity address; undefined when unknown. */
  resolve(address: string): Queue | undefined;
  policy: CbsPolicy;
  /** host:port the clients connect to (for the broker-like refusal text). */
  host(): string;
  logger: PeerLogger | undefined;
}

type Route = { kind: "cbs" } | { kind: "management"; queue: Queue } | { kind: "entity"; queue: Queue; address: string };

const SESSION_FILTER = "com.microsoft:session-filter";
const MANAGEMENT_SUFFIX = "/$management";

/** Wires rhea events of `conn`; returns the cleanup to run when its socket closes. */
export function wireConnection(conn: Connection, ctx: PeerContext): () => void {
  const granted: Grants = new Map();
  const receiverRoutes = new WeakMap<Receiver, Route>();
  const outbound = new Map<Sender, OutboundLink>();
  const replyLinks = new Map<string, Sender>();

  /** `need`: the claim the link needs (Send for the client's senders, Listen for its receivers). */
  function route(address: string, need: SasRight): Route | AmqpFailure {
    if (address === "$cbs") return { kind: "cbs" };
    const isMgmt = address.toLowerCase().endsWith(MANAGEMENT_SUFFIX);
    const entity = isMgmt ? address.slice(0, -MANAGEMENT_SUFFIX.length) : address;
    const queue = ctx.resolve(entity);
    if (!queue) return fail(Cond.notFound, `The messaging entity '${entity}' could not be found.`);
    // A $management link only needs a token; each operation then checks its own claim.
    const refused = authorize(address, isMgmt ? "any" : need, ctx.policy, granted, ctx.host());
    if (refused) return refused;
    return isMgmt ? { kind: "management", queue } : { kind: "entity", queue, address: entity };
  }

  function onReceiverOpen(c: EventContext): void {
    const receiver = c.receiver;
    if (!receiver) return;
    const address = asString(receiver.target?.address) ?? "";
    const r = route(address, "Send");
    receiver.set_target({ address });
    if (isFailure(r)) { receiver.close(r); return; }
    receiverRoutes.set(receiver, r);
    if (r.kind === "entity") localAttach(receiver).max_message_size = r.queue.opts.maxMessageSizeBytes;
  }

  function onSenderOpen(c: EventContext): void {
    const sender = c.sender;
    if (!sender) return;
    const address = asString(sender.source?.address) ?? "";
    const filter = asRecord(sender.source?.filter);
    const attach = localAttach(sender);
    attach.snd_settle_mode = sender.snd_settle_mode;
    attach.rcv_settle_mode = sender.rcv_settle_mode;
    sender.set_target({ address: asString(sender.target?.address) ?? "" });
    sender.set_source({ address });
    const r = route(address, "Listen");
    if (isFailure(r)) { sender.close(r); return; }
    if (r.kind !== "entity") { replyLinks.set(sender.name, sender); return; }
    const wantsSession = SESSION_FILTER in filter;
    if (wantsSession !== r.queue.opts.requiresSession) {
      sender.close(fail(Cond.notAllowed, wantsSession
        ? `The entity '${r.address}' does not require sessions; receive without a session.`
        : `It is not possible for an entity that requires sessions to create a non-sessionful message receiver ('${r.address}').`));
      return;
    }
    const mode = sender.snd_settle_mode === 1 ? "receiveAndDelete" : "peekLock";
    const link = new OutboundLink(sender, r.queue, mode, ctx.logger);
    if (wantsSession) {
      const accepted = r.queue.acceptSession(asString(filter[SESSION_FILTER]), link);
      if (isFailure(accepted)) { sender.close(accepted); return; }
      link.sessionId = accepted.sessionId;
      sender.set_source({ address, filter: { [SESSION_FILTER]: accepted.sessionId } });
      attach.properties = { "com.microsoft:locked-until-utc": msToTicksLong(accepted.lockedUntil) };
    }
    outbound.set(sender, link);
    link.start();
  }

  function reply(req: AmqpMessage, body: AmqpMessage): void {
    const replyTo = asString(req.reply_to);
    const link = replyTo === undefined ? undefined : replyLinks.get(replyTo);
    if (!link?.is_open()) return;
    sendMessage(link, { ...body, correlation_id: req.message_id, to: replyTo });
  }

  function onMessage(c: EventContext): void {
    const receiver = c.receiver;
    const delivery = c.delivery;
    const r = receiver ? receiverRoutes.get(receiver) : undefined;
    if (!r || !delivery) return;
    const msgs = decodeTransfer(c.message, delivery.format);
    const first = msgs[0] ?? {};
    if (r.kind === "cbs") {
      const res = handlePutToken(first, ctx.policy, granted);
      reply(first, { application_properties: { "status-code": res.status, "status-description": res.description } });
      delivery.accept();
    } else if (r.kind === "management") {
      const address = asString(receiver?.target?.address) ?? "";
      const refused = authorize(address, managementRight(first), ctx.policy, granted, ctx.host());
      reply(first, refused ? managementFailure(refused) : handleManagement(first, r.queue));
      delivery.accept();
    } else {
      const err = store(r.queue, msgs, c.message, delivery);
      if (err) delivery.reject(err); else delivery.accept();
      ctx.logger?.debug({ queue: r.queue.name, count: msgs.length, error: err?.condition }, "servicebus peer received");
    }
  }

  function store(queue: Queue, msgs: AmqpMessage[], raw: unknown, delivery: Delivery): AmqpFailure | undefined {
    const max = queue.opts.maxMessageSizeBytes;
    const size = Buffer.isBuffer(raw) ? raw.length : msgs.reduce((n, m) => n + encodeMessage(m).length, 0);
    if (size > max) {
      return fail(Cond.sizeExceeded, `The received message (delivery-id:${delivery.id}, size:${size} bytes) exceeds the limit (${max} bytes) currently allowed on the link.`);
    }
    const res = queue.enqueue(msgs);
    return isFailure(res) ? res : undefined;
  }

  function linkClosed(c: EventContext): void {
    const sender = c.sender;
    if (!sender) return;
    outbound.get(sender)?.stop();
    outbound.delete(sender);
    if (replyLinks.get(sender.name) === sender) replyLinks.delete(sender.name);
  }

  function settle(kind: "accepted" | "rejected" | "modified" | "released") {
    return (c: EventContext): void => {
      const link = c.sender ? outbound.get(c.sender) : undefined;
      if (link && c.delivery) link.onDisposition(c.delivery, kind);
    };
  }

  const onError = (c: EventContext): void => {
    ctx.logger?.debug({ error: c.connection.error ?? c.sender?.error ?? c.receiver?.error }, "servicebus peer link/connection error");
  };

  function cleanup(): void {
    for (const link of outbound.values()) link.stop();
    outbound.clear();
    replyLinks.clear();
  }

  conn.on("receiver_open", onReceiverOpen);
  conn.on("sender_open", onSenderOpen);
  conn.on("message", onMessage);
  conn.on("sender_flow", (c: EventContext) => { if (c.sender) outbound.get(c.sender)?.onFlow(); });
  conn.on("sender_draining", (c: EventContext) => { if (c.sender) outbound.get(c.sender)?.onDraining(); });
  for (const kind of ["accepted", "rejected", "modified", "released"] as const) conn.on(kind, settle(kind));
  conn.on("sender_close", linkClosed);
  conn.on("session_close", (c: EventContext) => {
    for (const [sender, link] of outbound) if (sender.session === c.session) { link.stop(); outbound.delete(sender); }
  });
  for (const ev of ["sender_error", "receiver_error", "session_error", "connection_error", "protocol_error", "error"]) conn.on(ev, onError);
  conn.on("receiver_close", () => undefined);
  conn.on("connection_close", cleanup);
  conn.on("disconnected", cleanup);
  return cleanup;
}
