// Pass-through to IMDS for other /metadata/* paths and for exception pods: method, path,
// query, headers and body as received (minus hop-by-hop headers and X-Forwarded-For, which
// IMDS rejects), answer as IMDS gave it. Goes through the shared upstream limiter.
import type { IncomingMessage } from "node:http";
import { NmiError } from "../errors.ts";
import { ImdsNetworkError, LimiterTimeoutError } from "../tokens/imds-client.ts";
import type { RequestScope } from "./runtime.ts";

const HOP_BY_HOP = new Set([
  "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
  "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length", "x-forwarded-for",
]);
const MAX_REQUEST_BODY = 64 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_REQUEST_BODY) reject(new NmiError("PODID_NMI_INVALID_QUERY", "body-too-large", "request body too large"));
      else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export async function proxyToImds(scope: RequestScope, reason: string, outcome: "proxied" | "excepted"): Promise<void> {
  const { req, res, rt } = scope;
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined && !HOP_BY_HOP.has(k.toLowerCase())) headers[k] = v;
  }
  let body: Buffer;
  try {
    body = await readBody(req);
  } catch (err) {
    scope.fail(err instanceof NmiError ? err : new NmiError("PODID_NMI_INVALID_QUERY", "body-unreadable"));
    return;
  }
  try {
    const r = await rt.imds.send(
      { method: req.method ?? "GET", target: req.url ?? "/", headers, ...(body.length > 0 ? { body } : {}), operation: "proxy" },
      rt.clock.now() + rt.config.waitBudgetMs,
      scope.signal,
    );
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(r.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
    out["content-length"] = String(r.body.length);
    if (!res.headersSent && !res.destroyed) {
      res.writeHead(r.status, out);
      res.end(r.body);
    }
    scope.finish(r.status, outcome, reason);
  } catch (err) {
    if (err instanceof LimiterTimeoutError) scope.fail(new NmiError("PODID_NMI_UPSTREAM_THROTTLED", "proxy-limiter-full"));
    else if (err instanceof ImdsNetworkError) scope.fail(new NmiError("PODID_NMI_UPSTREAM_UNAVAILABLE", "proxy-imds-unreachable"));
    else scope.fail(err instanceof NmiError ? err : new NmiError("PODID_NMI_UPSTREAM_UNAVAILABLE", "proxy-failed"));
  }
}
