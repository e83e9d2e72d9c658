// Writing responses: IMDS-style JSON everywhere.
import type { ServerResponse } from "node:http";
import { errorResponse, type NmiError } from "../errors.ts";

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

export function sendError(res: ServerResponse, err: NmiError, retryAfterSeconds: number): number {
  const r = errorResponse(err, retryAfterSeconds);
  sendJson(res, r.status, r.body, r.headers);
  return r.status;
}
