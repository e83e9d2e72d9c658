// Public shapes of the Service Bus peer: queue configuration, admin views, the handle.

export interface QueueOptions {
  name: string;
  requiresSession?: boolean;
  /** Deliveries after which an abandoned / lock-expired message is dead-lettered. Default 10. */
  maxDeliveryCount?: number;
  /** Peek-lock (and session-lock) duration. Default 30000. */
  lockDurationMs?: number;
  /** Drop a resend of the same message_id within this window (the broker's duplicate detection). */
  duplicateDetectionWindowMs?: number;
  /** TTL applied when a message carries none. Default: never expires. */
  defaultMessageTtlMs?: number;
  deadLetteringOnMessageExpiration?: boolean;
  /** Advertised as max_message_size on sender attach and enforced. Default 256 KiB. */
  maxMessageSizeBytes?: number;
}

export type ResolvedQueueOptions = Required<Omit<QueueOptions, "duplicateDetectionWindowMs" | "defaultMessageTtlMs">> & {
  duplicateDetectionWindowMs: number | undefined;
  defaultMessageTtlMs: number | undefined;
};

export function resolveQueueOptions(q: QueueOptions): ResolvedQueueOptions {
  return {
    name: q.name,
    requiresSession: q.requiresSession ?? false,
    maxDeliveryCount: q.maxDeliveryCount ?? 10,
    lockDurationMs: q.lockDurationMs ?? 30_000,
    duplicateDetectionWindowMs: q.duplicateDetectionWindowMs,
    defaultMessageTtlMs: q.defaultMessageTtlMs,
    deadLetteringOnMessageExpiration: q.deadLetteringOnMessageExpiration ?? false,
    maxMessageSizeBytes: q.maxMessageSizeBytes ?? 256 * 1024,
  };
}

/** Anything with a pino-like debug method; the peer never owns a logger. */
export interface PeerLogger {
  debug(obj: object, msg: string): void;
}

/** Claims a shared access rule (or an Entra ID role) grants; Manage implies Send and Listen. */
export type SasRight = "Send" | "Listen" | "Manage";

/**
 * A shared access authorization rule, like the broker's: on the namespace (`queue` unset) or on
 * one queue (`queue` set: its key signs tokens for that queue only, and its connection string
 * carries `EntityPath`).
 */
export interface SasRule {
  name: string;
  /** The rule's key (any string; the broker uses base64 text). */
  key: string;
  rights: SasRight[];
  queue?: string;
}

export interface StartServiceBusPeerOptions {
  port?: number;
  host?: string;
  queues: QueueOptions[];
  /** keyName → key: namespace rules with every right (Manage). Shorthand for `sasRules`. */
  sasKeys?: Record<string, string>;
  /**
   * Namespace- or queue-level rules with their rights. When sasKeys or sasRules is set, put-token
   * signatures are checked, links need a token, and each link / management operation needs the
   * right claim (Send to send or schedule, Listen to receive, settle or renew).
   */
  sasRules?: SasRule[];
  /**
   * Accept `jwt` put-tokens (TokenCredential clients) when auth is on; a function checks each and
   * may return the rights it grants (like an Entra role assignment; `true` = Manage).
   */
  acceptJwt?: boolean | ((token: string, audience: string) => boolean | SasRight[]);
  logger?: PeerLogger;
}

export interface QueueDepth {
  active: number;
  scheduled: number;
  deferred: number;
  /** Active messages currently locked by a receiver (included in `active`). */
  locked: number;
  deadLettered: number;
}

export interface MessageView {
  sequenceNumber: number;
  messageId: string;
  sessionId: string | undefined;
  state: "active" | "scheduled" | "deferred";
  locked: boolean;
  /** Number of times the message was handed to a receiver. */
  deliveryCount: number;
  /** JSON-decoded like the SDK does for data sections; otherwise the raw value. */
  body: unknown;
  applicationProperties: Record<string, unknown>;
}

export interface DeadLetterView {
  messageId: string;
  sessionId: string | undefined;
  body: unknown;
  reason: string | undefined;
  description: string | undefined;
  deliveryCount: number;
  applicationProperties: Record<string, unknown>;
}

export interface ServiceBusPeer {
  readonly port: number;
  readonly host: string;
  /**
   * `Endpoint=sb://host:port;SharedAccessKeyName=…;SharedAccessKey=…;UseDevelopmentEmulator=true`,
   * with the configured key for keyName (first rule by default); `key` overrides it (wrong-key
   * tests). A queue-level rule's string ends with `;EntityPath=<queue>`, as the portal's does.
   */
  connectionString(keyName?: string, key?: string): string;
  queueDepth(name: string): QueueDepth;
  messages(name: string): MessageView[];
  deadLetters(name: string): DeadLetterView[];
  /** Number of AMQP connections currently open (for reconnect assertions). */
  connectionCount(): number;
  /** Drops every connection and stops listening; queue contents survive. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
  /** stop(), wait `ms`, restart(). */
  outage(ms: number): Promise<void>;
  close(): Promise<void>;
}

/** AMQP error conditions the peer uses (the broker's vocabulary). */
export const Cond = {
  notFound: "amqp:not-found",
  notAllowed: "amqp:not-allowed",
  notImplemented: "amqp:not-implemented",
  unauthorized: "amqp:unauthorized-access",
  sizeExceeded: "amqp:link:message-size-exceeded",
  lockLost: "com.microsoft:message-lock-lost",
  sessionLockLost: "com.microsoft:session-lock-lost",
  sessionCannotBeLocked: "com.microsoft:session-cannot-be-locked",
  timeout: "com.microsoft:timeout",
  messageNotFound: "com.microsoft:message-not-found",
  argumentError: "com.microsoft:argument-error",
  deadLetter: "com.microsoft:dead-letter",
} as const;

export interface AmqpFailure {
  condition: string;
  description: string;
}

export function fail(condition: string, description: string): AmqpFailure {
  return { condition, description };
}

export function isFailure(v: unknown): v is AmqpFailure {
  return typeof v === "object" && v !== null && "condition" in v && "description" in v;
}
