// The pod-facing server (127.0.0.1:2579): classify the path strictly, then dispatch.
import http from "node:http";
import { NmiError } from "../errors.ts";
import { classifyPath } from "../rules/classify-path.ts";
import { checkMetadataHeader } from "../rules/token-request.ts";
import { handleHostToken } from "../pipeline/host-token-handler.ts";
import { proxyToImds } from "../pipeline/proxy.ts";
import { RequestScope, asNmiError, type NmiRuntime } from "../pipeline/runtime.ts";
import { handleToken } from "../pipeline/token-handler.ts";

/** Bounded metric label per route (raw paths would let callers mint label values). */
const OPERATION: Record<string, string> = {
  token: "/metadata/identity/oauth2/token",
  "host-token": "/host/token/",
  proxy: "/metadata/*",
  blocked: "/metadata/instance",
  reject: "invalid",
  "not-found": "other",
};

async function route(rt: NmiRuntime, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const cls = classifyPath(req.url ?? "", rt.config.blockInstanceMetadata);
  const scope = new RequestScope(rt, req, res, OPERATION[cls.kind] ?? "other");
  try {
    switch (cls.kind) {
      case "token":
        return await handleToken(scope);
      case "host-token":
        return await handleHostToken(scope);
      case "reject":
        return scope.fail(new NmiError("PODID_NMI_NON_CANONICAL_PATH", cls.reason));
      case "blocked":
        return scope.fail(new NmiError("PODID_NMI_INSTANCE_METADATA_BLOCKED", cls.reason));
      case "not-found":
        return scope.fail(new NmiError("PODID_NMI_NOT_FOUND", cls.reason));
      case "proxy": {
        const header = checkMetadataHeader(req.headers.metadata, rt.config.metadataHeaderRequired);
        if (!header.ok) return scope.fail(new NmiError("PODID_NMI_METADATA_HEADER_REQUIRED", header.reason));
        return await proxyToImds(scope, cls.reason, "proxied");
      }
    }
  } catch (err) {
    scope.fail(asNmiError(err, scope));
  }
}

export function createTokenServer(rt: NmiRuntime): http.Server {
  const server = http.createServer({ keepAliveTimeout: 5000 }, (req, res) => void route(rt, req, res));
  server.on("clientError", (_err, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n");
    else socket.destroy();
  });
  return server;
}
