// HTTPS transport of the ARM peer: authentication, api-version, injected faults, routing,
// ARM headers and the request log. State and semantics live in the other modules.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { ArmError, armErrors, type Caller } from "./errors.ts";
import type { Faults } from "./faults.ts";
import { getHost, getInstance, getOperation, writeHost, type ArmContext, type ArmReply } from "./handlers.ts";
import { hostKeyOf, hostResourceId, parseArmPath } from "./resource-ids.ts";
import type { ArmLogEntry } from "./types.ts";

export interface ArmTransportDeps {
  ctx: ArmContext;
  faults: Faults;
  log: ArmLogEntry[];
  acceptToken: ((token: string) => boolean) | undefined;
}

const MAX_BODY = 4 * 1024 * 1024;
const DEFAULT_CALLER: Caller = { clientId: "00000000-0000-0000-0000-00000000c0de", objectId: "00000000-0000-0000-0000-0000000000b1" };
const claimsSchema = z.object({ appid: z.string().optional(), oid: z.string().optional() }).loose();

/** Who the bearer token says the caller is (peer-issued tokens are JWT-shaped). */
function callerOf(token: string): Caller {
  try {
    const claims = claimsSchema.parse(JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")));
    return { clientId: claims.appid ?? DEFAULT_CALLER.clientId, objectId: claims.oid ?? DEFAULT_CALLER.objectId };
  } catch {
    return DEFAULT_CALLER;
  }
}

const safely = (check: () => boolean): boolean => {
  try {
    return check();
  } catch {
    return false;
  }
};

function dispatch(deps: ArmTransportDeps, method: string, url: URL, auth: string | undefined, body: unknown): ArmReply {
  const route = parseArmPath(url.pathname);
  if (route?.kind === "host" && (method === "PATCH" || method === "PUT")) {
    const key = hostKeyOf(hostResourceId(route.hostKind, route.subscriptionId, route.resourceGroup, route.name));
    deps.ctx.writes.set(key, (deps.ctx.writes.get(key) ?? 0) + 1);
  }
  const token = /^Bearer\s+(\S+)$/i.exec(auth ?? "")?.[1];
  if (token === undefined) throw armErrors.authenticationFailed();
  if (deps.acceptToken && !safely(() => deps.acceptToken?.(token) ?? true)) throw armErrors.invalidToken();
  const apiVersion = url.searchParams.get("api-version");
  if (!apiVersion) throw armErrors.missingApiVersion();
  const fault = deps.faults.take(method, url.pathname);
  if (fault) throw fault;
  if (!route) throw armErrors.noRoute(url.pathname);
  if (route.kind === "host") {
    if (method === "GET") return getHost(deps.ctx, route);
    if (method === "PATCH" || method === "PUT") return writeHost(deps.ctx, route, method, body, callerOf(token), apiVersion);
  } else if (method === "GET") {
    return route.kind === "instance" ? getInstance(deps.ctx, route) : getOperation(deps.ctx, route, url.searchParams);
  }
  throw armErrors.methodNotAllowed(method);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_BODY) throw armErrors.invalidRequestContent("request body too large");
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString("utf8");
}

async function handle(deps: ArmTransportDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const time = Date.now();
  const method = (req.method ?? "GET").toUpperCase();
  const url = new URL(req.url ?? "/", deps.ctx.origin);
  let body: unknown;
  let reply: ArmReply;
  try {
    const text = await readBody(req);
    if (deps.faults.latencyMs > 0) await sleep(deps.faults.latencyMs);
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      throw armErrors.invalidRequestContent("malformed JSON");
    }
    reply = dispatch(deps, method, url, req.headers.authorization, body);
  } catch (e) {
    reply = e instanceof ArmError
      ? { status: e.status, body: e.body(), headers: e.extra.headers ?? {} }
      : { status: 500, body: { error: { code: "InternalServerError", message: String(e) } } };
  }
  deps.log.push({ time, method, path: `${url.pathname}${url.search}`, body, status: reply.status });
  const requestId = randomUUID();
  const clientRequestId = req.headers["x-ms-client-request-id"];
  const headers: Record<string, string> = {
    ...deps.faults.rateLimitHeaders(method),
    "x-ms-request-id": requestId,
    "x-ms-correlation-request-id": requestId,
    ...(typeof clientRequestId === "string" ? { "x-ms-client-request-id": clientRequestId } : {}),
    ...(reply.headers ?? {}),
  };
  if (reply.body === undefined) {
    res.writeHead(reply.status, headers).end();
    return;
  }
  res.writeHead(reply.status, { ...headers, "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(reply.body));
}

export interface ListenOptions {
  cert: string;
  key: string;
  port?: number;
  address?: string;
}

/** Starts the HTTPS server; `setOrigin` receives the bound origin before the first request. */
export async function listenArm(opts: ListenOptions, deps: ArmTransportDeps, setOrigin: (origin: string) => void): Promise<https.Server> {
  const server = https.createServer({ cert: opts.cert, key: opts.key }, (req, res) => {
    void handle(deps, req, res);
  });
  const address = opts.address ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, address, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  setOrigin(`https://${address.includes(":") ? `[${address}]` : address}:${port}`);
  return server;
}
