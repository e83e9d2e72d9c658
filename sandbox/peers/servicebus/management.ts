// `<entity>/$management` request/response operations the SDK uses. Replies carry statusCode /
// statusDescription (and errorCondition on failure) in application properties.
import rhea from "rhea";
import { asArray, asRecord, asString, longToNumber, uuidToString, wrapUuid } from "./amqp-util.ts";
import { type AmqpMessage, decodeMessage, encodeMessage } from "./codec.ts";
import type { Disposition, Queue, ReceiveMode } from "./queue.ts";
import { toWire } from "./stored-message.ts";
import { type AmqpFailure, Cond, fail, isFailure, type SasRight } from "./types.ts";

type Body = Record<string, unknown>;
type OpResult = { status?: number; body?: unknown } | AmqpFailure;
type Op = (queue: Queue, body: Body) => OpResult;

const STATUS_BY_CONDITION: Record<string, number> = {
  [Cond.lockLost]: 410, [Cond.sessionLockLost]: 410, [Cond.sessionCannotBeLocked]: 410,
  [Cond.messageNotFound]: 404, [Cond.notFound]: 404, [Cond.notImplemented]: 501,
  [Cond.argumentError]: 400, [Cond.notAllowed]: 400, [Cond.unauthorized]: 401,
};

const DISPOSITIONS: Record<string, Disposition> = {
  completed: "complete", abandoned: "abandon", defered: "defer", suspended: "deadletter",
};

function lockTokens(body: Body): string[] {
  return asArray(body["lock-tokens"]).map(uuidToString).filter((t): t is string => t !== undefined);
}

function seqNumbers(body: Body): number[] {
  return asArray(body["sequence-numbers"]).map(longToNumber).filter((n): n is number => n !== undefined);
}

function sessionId(body: Body): string | undefined {
  return asString(body["session-id"]);
}

function requireSessionLock(queue: Queue, id: string | undefined): AmqpFailure | undefined {
  if (id === undefined) return fail(Cond.argumentError, "session-id is required.");
  return queue.sessions.isLocked(id) ? undefined
    : fail(Cond.sessionLockLost, `The session lock has expired on the session with id ${id}.`);
}

const ops: Record<string, Op> = {
  "com.microsoft:renew-lock": (queue, body) => {
    const expirations: Date[] = [];
    for (const token of lockTokens(body)) {
      const until = queue.renewLock(token);
      if (isFailure(until)) return until;
      expirations.push(new Date(until));
    }
    return { body: { expirations } };
  },
  "com.microsoft:renew-session-lock": (queue, body) => {
    const id = sessionId(body);
    const until = id === undefined ? undefined : queue.sessions.renew(id);
    return until === undefined ? requireSessionLock(queue, id) ?? fail(Cond.sessionLockLost, "lost")
      : { body: { expiration: new Date(until) } };
  },
  "com.microsoft:set-session-state": (queue, body) => {
    const id = sessionId(body);
    const err = requireSessionLock(queue, id);
    if (err || id === undefined) return err ?? fail(Cond.argumentError, "session-id is required.");
    const state = body["session-state"];
    queue.sessions.setState(id, Buffer.isBuffer(state) ? state : undefined);
    return {};
  },
  "com.microsoft:get-session-state": (queue, body) => {
    const id = sessionId(body);
    const err = requireSessionLock(queue, id);
    if (err || id === undefined) return err ?? fail(Cond.argumentError, "session-id is required.");
    return { body: { "session-state": queue.sessions.getState(id) ?? null } };
  },
  "com.microsoft:schedule-message": (queue, body) => {
    const msgs = asArray(body.messages).map((e) => asRecord(e).message)
      .filter((b): b is Buffer => Buffer.isBuffer(b)).map(decodeMessage);
    const seqs = queue.enqueue(msgs);
    if (isFailure(seqs)) return seqs;
    return { body: { "sequence-numbers": rhea.types.wrap_array(seqs, 0x81, undefined) } };
  },
  "com.microsoft:cancel-scheduled-message": (queue, body) => {
    queue.cancelScheduled(seqNumbers(body));
    return {};
  },
  "com.microsoft:peek-message": (queue, body) => {
    const from = longToNumber(body["from-sequence-number"]) ?? 1;
    const count = typeof body["message-count"] === "number" ? body["message-count"] : 1;
    const found = queue.peek(from, count, sessionId(body));
    if (found.length === 0) return { status: 204 };
    return { body: { messages: found.map((m) => ({ message: encodeMessage(toWire(m, undefined)) })) } };
  },
  "com.microsoft:receive-by-sequence-number": (queue, body) => {
    const mode: ReceiveMode = body["receiver-settle-mode"] === 0 ? "receiveAndDelete" : "peekLock";
    const taken = queue.receiveDeferred(seqNumbers(body), mode, sessionId(body));
    if (isFailure(taken)) return taken;
    return {
      body: {
        messages: taken.map((t) => {
          const entry: Record<string, unknown> = { message: encodeMessage(toWire(t.message, t.lockedUntil)) };
          if (t.token !== undefined) entry["lock-token"] = wrapUuid(t.token);
          return entry;
        }),
      },
    };
  },
  "com.microsoft:update-disposition": (queue, body) => {
    const disposition = DISPOSITIONS[asString(body["disposition-status"]) ?? ""];
    if (!disposition) return fail(Cond.argumentError, "Unknown disposition-status.");
    for (const token of lockTokens(body)) {
      const err = queue.settle(token, disposition, {
        reason: asString(body["deadletter-reason"]),
        description: asString(body["deadletter-description"]),
        propertiesToModify: asRecord(body["properties-to-modify"]),
      });
      if (err) return err;
    }
    return {};
  },
};

/** The claim each operation needs on the broker: scheduling sends, everything else listens. */
const OPERATION_RIGHT: Record<string, SasRight> = {
  "com.microsoft:schedule-message": "Send",
  "com.microsoft:cancel-scheduled-message": "Send",
};

export function managementRight(req: AmqpMessage): SasRight {
  return OPERATION_RIGHT[asString(asRecord(req.application_properties).operation) ?? ""] ?? "Listen";
}

/** The reply to a request refused before it ran (e.g. a missing claim). */
export function managementFailure(failure: AmqpFailure): AmqpMessage {
  return {
    application_properties: {
      statusCode: STATUS_BY_CONDITION[failure.condition] ?? 500,
      statusDescription: failure.description,
      errorCondition: failure.condition,
    },
    body: null,
  };
}

/** Runs one management request against `queue` and builds the reply (minus addressing). */
export function handleManagement(req: AmqpMessage, queue: Queue): AmqpMessage {
  const operation = asString(asRecord(req.application_properties).operation) ?? "";
  const op = ops[operation];
  const result: OpResult = op ? op(queue, asRecord(req.body))
    : fail(Cond.notImplemented, `The operation '${operation}' is not implemented by this Service Bus peer.`);
  if (isFailure(result)) return managementFailure(result);
  const status = result.status ?? 200;
  return {
    application_properties: { statusCode: status, statusDescription: status === 204 ? "No Content" : "OK" },
    body: result.body ?? null,
  };
}
