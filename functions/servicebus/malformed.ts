// The error `micEvents` throws for a message that can never succeed (malformed JSON, unknown
// `v`, schema or session mismatch). A plain Service Bus trigger has no settlement API, so
// throwing makes the host abandon the message, and the broker dead-letters it at the queue's
// MaxDeliveryCount: docs/adr/0002-dead-lettering-in-micEvents.md.

export class MalformedMessageError extends Error {
  /** Tells log queries and tests this apart from transient failures. */
  readonly poison = true;

  constructor(
    /** core's PODID_MSG_* code. */
    readonly reason: string,
    readonly description: string,
    readonly messageId?: string,
  ) {
    super(`${reason}: ${description}`);
    this.name = "MalformedMessageError";
  }
}

export function isMalformedMessageError(err: unknown): err is MalformedMessageError {
  return err instanceof MalformedMessageError || (typeof err === "object" && err !== null && (err as { poison?: unknown }).poison === true);
}
