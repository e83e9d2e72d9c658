// What request handlers share (built once by buildNmi), and the per-request scope: one child
// logger, one final log line and one metrics sample per request.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { NmiConfig } from "../config.ts";
import { ERROR_HEADER, NmiError, isTransient } from "../errors.ts";
import { sendError } from "../http/respond.ts";
import { redactClientId } from "../log.ts";
import type { NmiMetrics } from "../metrics.ts";
import type { NmiStore } from "../state/store.ts";
import type { TokenCache } from "../tokens/cache.ts";
import type { Lifetime, Scoped } from "./lifetime.ts";
import type { ImdsClient } from "../tokens/imds-client.ts";
import type { Clock, TokenSources } from "../tokens/types.ts";

export interface NmiRuntime {
  config: NmiConfig;
  logger: Logger;
  metrics: NmiMetrics;
  store: NmiStore;
  clock: Clock;
  cache: TokenCache;
  sources: TokenSources;
  imds: ImdsClient;
  /** Stopped by stop(): ends waits and shared upstream fetches (one controller per holder). */
  lifetime: Lifetime;
}

export type Outcome = "token" | "proxied" | "excepted" | "denied" | "transient" | "invalid" | "blocked" | "not-found" | "error";

let nextId = 0;

export class RequestScope {
  readonly reqId: string;
  readonly started: number;
  private life: Scoped | undefined;
  private closed = false;
  private readonly fields: Record<string, string>;
  private logger: Logger | undefined;
  namespace = "";
  resource = "";
  private finished = false;

  constructor(
    readonly rt: NmiRuntime,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly operation: string,
  ) {
    this.reqId = `${process.pid.toString(36)}-${(nextId++).toString(36)}`;
    this.started = performance.now();
    res.once("close", () => this.onClose());
    this.fields = { reqId: this.reqId, remote: req.socket.remoteAddress ?? "", op: operation };
  }

  /**
   * Aborted when the client goes away before we answered (stop waiting on its behalf) or when
   * NMI stops: its own controller in NMI's lifetime, so no listener piles up on a shared
   * signal. Created on first use: a cache hit never needs one.
   */
  get signal(): AbortSignal {
    if (!this.life) {
      this.life = this.rt.lifetime.scope();
      if (this.closed) this.onClose();
    }
    return this.life.signal;
  }

  private onClose(): void {
    this.closed = true;
    if (!this.life) return;
    if (this.res.writableFinished) this.life.release();
    else this.life.abort();
  }

  /** The request's child logger, built on first use (most requests log one line only). */
  get log(): Logger {
    this.logger ??= this.rt.logger.child(this.fields);
    return this.logger;
  }

  /** Adds pod / identity fields to every later log line of this request. */
  bind(fields: { pod?: string; namespace?: string; clientId?: string; identity?: string }): void {
    const out = this.fields;
    if (fields.pod !== undefined) out.pod = fields.pod;
    if (fields.namespace !== undefined) {
      out.namespace = fields.namespace;
      this.namespace = fields.namespace;
    }
    if (fields.identity !== undefined) out.identity = fields.identity;
    const redacted = redactClientId(fields.clientId);
    if (redacted !== undefined) out.clientId = redacted;
    this.logger = undefined;
  }

  finish(status: number, outcome: Outcome, reason: string, code?: string): void {
    if (this.finished) return;
    this.finished = true;
    const seconds = (performance.now() - this.started) / 1000;
    this.rt.metrics.requests.inc({ outcome, reason });
    this.rt.metrics.nmiOperations.observe(
      { operation_type: this.operation, status_code: String(status), namespace: this.namespace, resource: status === 200 ? this.resource : "" },
      seconds,
    );
    const line = { status, outcome, reason, durationMs: Math.round(seconds * 1000), ...(code === undefined ? {} : { code }) };
    if (status >= 500 || outcome === "error") this.log.warn(line, "request");
    else this.log.info(line, "request");
  }

  fail(err: NmiError): void {
    const status = sendError(this.res, err, this.rt.config.retryAfterSeconds);
    const outcome: Outcome = isTransient(err.code) ? "transient" : status === 400 ? "invalid" : status === 404 ? "not-found" : status >= 500 ? "error" : "denied";
    this.finish(status, outcome, err.reason, err.code);
  }
}

/** Anything thrown that is not classified becomes PODID_NMI_INTERNAL (logged, not leaked). */
export function asNmiError(err: unknown, scope: RequestScope): NmiError {
  if (err instanceof NmiError) return err;
  scope.log.error({ err: err instanceof Error ? err.message : String(err) }, "unexpected error");
  return new NmiError("PODID_NMI_INTERNAL", "unexpected-error");
}

export { ERROR_HEADER };
