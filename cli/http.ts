// One small HTTP GET for every peer the CLI talks to (API server, MIC, NMI). node:http with a
// fresh connection per request: a one-shot CLI gains nothing from keep-alive, and no pooled
// socket outlives the command.
import http from "node:http";
import https from "node:https";
import { CliError, errorMessage } from "./errors.ts";

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export interface GetOptions {
  headers?: Record<string, string>;
  timeoutMs: number;
  /** Extra request options (TLS material, agent) as produced by KubeConfig. */
  request?: https.RequestOptions;
  /** What is being reached, for error messages ("the API server at …"). */
  what: string;
  /** Upper bound on the body read (logs can be large). */
  maxBytes?: number;
}

export function httpGet(url: URL, o: GetOptions): Promise<HttpReply> {
  const mod = url.protocol === "https:" ? https : http;
  const headers = { ...(o.request?.headers as Record<string, string> | undefined), ...o.headers };
  const max = o.maxBytes ?? 16 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, { ...o.request, method: "GET", headers, agent: o.request?.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        size += c.length;
        if (size > max) {
          req.destroy(new Error(`response larger than ${max} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", (err) => reject(unreachable(o.what, err)));
    });
    req.setTimeout(o.timeoutMs, () => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)));
    req.on("error", (err) => reject(unreachable(o.what, err)));
    req.end();
  });
}

function unreachable(what: string, err: unknown): CliError {
  return new CliError(`cannot reach ${what}: ${errorMessage(err)}`);
}
