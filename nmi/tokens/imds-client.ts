// HTTP to IMDS for NMI's own calls (type-0 tokens and proxied requests). NMI runs on the host
// network, so these calls are not intercepted by the aad-metadata chain. Every call goes
// through the shared upstream limiter and is measured.
import http from "node:http";
import type { NmiMetrics } from "../metrics.ts";
import { LimiterTimeoutError, type UpstreamLimiter } from "./limiter.ts";

export interface ImdsRequest {
  method: string;
  /** Path and query, e.g. `/metadata/identity/oauth2/token?…`. */
  target: string;
  headers: Record<string, string | string[]>;
  body?: Buffer;
  operation: "token" | "proxy";
}

export interface ImdsResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Network failure or timeout talking to IMDS (no HTTP answer). */
export class ImdsNetworkError extends Error {
  override readonly name = "ImdsNetworkError";
}

const MAX_BODY = 1024 * 1024;

export class ImdsClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  private readonly base: URL;

  constructor(
    endpoint: string,
    private readonly limiter: UpstreamLimiter,
    private readonly metrics: NmiMetrics,
  ) {
    this.base = new URL(endpoint);
  }

  /** Throws LimiterTimeoutError (no slot before `deadline`) or ImdsNetworkError. */
  async send(req: ImdsRequest, deadline: number, signal: AbortSignal): Promise<ImdsResponse> {
    return this.limiter.run(() => this.once(req, deadline, signal), deadline, signal);
  }

  private once(req: ImdsRequest, deadline: number, signal: AbortSignal): Promise<ImdsResponse> {
    const started = performance.now();
    const observe = (status: string): void => {
      this.metrics.imdsOperations.observe({ operation_type: req.operation, status_code: status }, (performance.now() - started) / 1000);
      if (!status.startsWith("2")) this.metrics.imdsErrors.inc({ operation_type: req.operation });
    };
    return new Promise<ImdsResponse>((resolve, reject) => {
      const r = http.request(
        {
          protocol: this.base.protocol,
          hostname: this.base.hostname,
          port: this.base.port,
          method: req.method,
          path: req.target,
          headers: req.headers,
          agent: this.agent,
          timeout: Math.max(100, deadline - Date.now()),
          signal,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on("data", (c: Buffer) => {
            size += c.length;
            if (size > MAX_BODY) r.destroy(new ImdsNetworkError("IMDS response too large"));
            else chunks.push(c);
          });
          res.on("end", () => {
            observe(String(res.statusCode ?? 0));
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
          });
          res.on("error", (e) => {
            observe("error");
            reject(new ImdsNetworkError(e.message));
          });
        },
      );
      r.on("timeout", () => r.destroy(new ImdsNetworkError("IMDS request timed out")));
      r.on("error", (e) => {
        observe("error");
        reject(e instanceof ImdsNetworkError ? e : new ImdsNetworkError(e.message));
      });
      r.end(req.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

export { LimiterTimeoutError };

/** Retry-After header (seconds or HTTP date) → seconds, capped so one wait fits a request. */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number, capSeconds = 30): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === "") return undefined;
  const n = Number(v);
  const secs = Number.isFinite(n) ? n : (Date.parse(v) - nowMs) / 1000;
  if (!Number.isFinite(secs)) return undefined;
  return Math.min(capSeconds, Math.max(0, Math.ceil(secs)));
}
