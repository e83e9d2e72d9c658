// A message as the broker holds it, and how it is shown: on the wire (with the broker's
// annotations) and to tests (admin views).
import { asString, wrapLong } from "./amqp-util.ts";
import {
  type AmqpMessage, annotationsOf, applicationPropertiesOf, bodyView, withBrokerFields,
} from "./codec.ts";
import type { DeadLetterView, MessageView } from "./types.ts";

export type MessageState = "active" | "scheduled" | "deferred";

export interface MessageLock {
  token: string;
  /** Timer of a plain peek-lock; session messages live under the session lock instead. */
  timer: NodeJS.Timeout | undefined;
  until: number;
}

export interface StoredMessage {
  seq: number;
  messageId: string;
  sessionId: string | undefined;
  enqueuedAt: number;
  expiresAt: number | undefined;
  amqp: AmqpMessage;
  /** Times handed to a receiver; the AMQP header carries this minus one (prior attempts). */
  deliveryCount: number;
  state: MessageState;
  lock: MessageLock | undefined;
  scheduledFor: number | undefined;
  scheduleTimer: NodeJS.Timeout | undefined;
}

/** Values of `x-opt-message-state`, which the SDK maps to ServiceBusReceivedMessage.state. */
const STATE_CODE: Record<MessageState, number> = { active: 0, deferred: 1, scheduled: 2 };

export function toWire(m: StoredMessage, lockedUntil: number | undefined): AmqpMessage {
  const ann: Record<string, unknown> = {
    "x-opt-sequence-number": wrapLong(m.seq),
    "x-opt-enqueued-time": new Date(m.enqueuedAt),
    "x-opt-message-state": STATE_CODE[m.state],
  };
  if (lockedUntil !== undefined) ann["x-opt-locked-until"] = new Date(lockedUntil);
  if (m.scheduledFor !== undefined) ann["x-opt-scheduled-enqueue-time"] = new Date(m.scheduledFor);
  const wire = withBrokerFields(m.amqp, ann, Math.max(0, m.deliveryCount - 1));
  wire.message_id = m.messageId;
  return wire;
}

export function messageView(m: StoredMessage): MessageView {
  return {
    sequenceNumber: m.seq,
    messageId: m.messageId,
    sessionId: m.sessionId,
    state: m.state,
    locked: m.lock !== undefined,
    deliveryCount: m.deliveryCount,
    body: bodyView(m.amqp),
    applicationProperties: applicationPropertiesOf(m.amqp),
  };
}

export function deadLetterView(m: StoredMessage): DeadLetterView {
  const props = applicationPropertiesOf(m.amqp);
  return {
    messageId: m.messageId,
    sessionId: m.sessionId,
    body: bodyView(m.amqp),
    reason: asString(props.DeadLetterReason),
    description: asString(props.DeadLetterErrorDescription),
    deliveryCount: m.deliveryCount,
    applicationProperties: props,
  };
}

/** Copy for the dead-letter queue: reason/description as application properties, plus the source. */
export function deadLettered(
  m: StoredMessage, source: string, reason: string | undefined, description: string | undefined,
  propertiesToModify: Record<string, unknown>,
): StoredMessage {
  const props: Record<string, unknown> = { ...applicationPropertiesOf(m.amqp), ...propertiesToModify };
  if (reason !== undefined) props.DeadLetterReason = reason;
  if (description !== undefined) props.DeadLetterErrorDescription = description;
  const amqp: AmqpMessage = {
    ...m.amqp,
    application_properties: props,
    message_annotations: { ...annotationsOf(m.amqp), "x-opt-deadletter-source": source },
  };
  return {
    ...m, amqp, state: "active", lock: undefined, expiresAt: undefined,
    scheduledFor: undefined, scheduleTimer: undefined,
  };
}
