// The IMDS peer: one per node, plain HTTP on any address (169.254.169.254:80 inside a test
// network namespace, 127.0.0.1:0 elsewhere). Tokens are issued only for identities the
// assignment source reports on this node's host right now.
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { imdsErrors, type ImdsReply } from "./errors.ts";
import { ImdsLimiter } from "./limiter.ts";
import { identityInfoReply, instanceReply, validApiVersion, versionsReply } from "./metadata.ts";
import { issueToken, parseTokenQuery, resolveIdentity, type AssignmentSource, type TokenDeps } from "./token.ts";

export interface StartImdsPeerOptions {
  /** The node's VM, VMSS or VMSS-instance resource id (a node providerID works too). */
  host: string;
  assignments: AssignmentSource;
  tenantId: string;
  systemAssigned?: { clientId: string; principalId: string };
  port?: number;
  address?: string;
  /** Added to every answer; token requests hold their concurrency slot meanwhile. */
  latencyMs?: number;
  location?: string;
  tokenLifetimeSeconds?: number;
  limits?: { perSecond?: number; concurrent?: number };
}

export interface ScriptedImdsError {
  status: number;
  error: string;
  description?: string;
  times?: number;
  retryAfterSeconds?: number;
}

export interface ImdsPeer {
  /** `http://<address>:<port>`: the value for AZURE_POD_IDENTITY_AUTHORITY_HOST. */
  readonly url: string;
  readonly port: number;
  /** Requests to the token path, whatever their outcome. */
  readonly tokenRequests: number;
  /** Tokens issued, in all or for one client id. */
  tokensIssued(clientId?: string): number;
  setLatency(ms: number): void;
  /** The next `times` token requests (past validation) fail with this status and error. */
  scriptError(spec: ScriptedImdsError): void;
  close(): Promise<void>;
}

const TOKEN_PATH = "/metadata/identity/oauth2/token";

export async function startImdsPeer(opts: StartImdsPeerOptions): Promise<ImdsPeer> {
  const deps: TokenDeps = {
    host: opts.host,
    assignments: opts.assignments,
    tenantId: opts.tenantId,
    systemAssigned: opts.systemAssigned,
    lifetimeSeconds: opts.tokenLifetimeSeconds ?? 86399,
  };
  const facts = { host: opts.host, location: opts.location ?? "westeurope", vmId: randomUUID(), tenantId: opts.tenantId };
  const limiter = new ImdsLimiter(opts.limits?.perSecond ?? 20, opts.limits?.concurrent ?? 5);
  let latencyMs = opts.latencyMs ?? 0;
  let tokenRequests = 0;
  const issued = new Map<string, number>();
  const scripted: ScriptedImdsError[] = [];

  async function token(query: URLSearchParams): Promise<ImdsReply> {
    const parsed = parseTokenQuery(query);
    if ("status" in parsed) return parsed;
    const release = limiter.tryAcquire();
    if (!release) return imdsErrors.tooManyRequests();
    try {
      if (latencyMs > 0) await sleep(latencyMs);
      const fault = scripted[0];
      if (fault) {
        fault.times = (fault.times ?? 1) - 1;
        if (fault.times <= 0) scripted.shift();
        const headers = fault.retryAfterSeconds !== undefined ? { "retry-after": String(fault.retryAfterSeconds) } : undefined;
        return { status: fault.status, body: { error: fault.error, error_description: fault.description ?? fault.error }, ...(headers ? { headers } : {}) };
      }
      const identity = await resolveIdentity(deps, parsed.selector);
      if ("status" in identity) return identity;
      const key = identity.clientId.toLowerCase();
      issued.set(key, (issued.get(key) ?? 0) + 1);
      return issueToken(deps, identity, parsed.resource, parsed.selector);
    } catch (e) {
      return imdsErrors.serverError(String(e));
    } finally {
      release();
    }
  }

  async function route(req: http.IncomingMessage): Promise<ImdsReply> {
    const url = new URL(req.url ?? "/", "http://imds.invalid");
    // msal-node sends the token path with a trailing slash; IMDS accepts both forms.
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/$/, "") : url.pathname;
    const isToken = path === TOKEN_PATH;
    const isInstance = path === "/metadata/instance" || path.startsWith("/metadata/instance/");
    const isInfo = path === "/metadata/identity/info";
    if (isToken) tokenRequests++;
    if (!isToken && !isInstance && !isInfo && path !== "/metadata/versions") return imdsErrors.notFound();
    if (req.method !== "GET") return imdsErrors.methodNotAllowed();
    if (req.headers.metadata !== "true") return imdsErrors.metadataHeader();
    if (req.headers["x-forwarded-for"] !== undefined) return imdsErrors.forwarded();
    if (path === "/metadata/versions") return versionsReply();
    if (!validApiVersion(url.searchParams.get("api-version"), isInstance ? "2017-03-01" : "2018-02-01")) return imdsErrors.apiVersion();
    if (isToken) return token(url.searchParams);
    if (latencyMs > 0) await sleep(latencyMs);
    return isInfo ? identityInfoReply(opts.tenantId) : instanceReply(facts, path.slice("/metadata/instance".length), url.searchParams.get("format"));
  }

  const server = http.createServer((req, res) => {
    req.resume();
    void route(req).then((reply) => {
      const headers = { ...(reply.headers ?? {}), server: "IMDS/150.870.65.1325" };
      if (reply.text !== undefined) res.writeHead(reply.status, { ...headers, "content-type": "text/plain; charset=utf-8" }).end(reply.text);
      else res.writeHead(reply.status, { ...headers, "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(reply.body));
    });
  });
  const address = opts.address ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, address, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${address.includes(":") ? `[${address}]` : address}:${port}`,
    port,
    get tokenRequests() { return tokenRequests; },
    tokensIssued: (clientId) => clientId === undefined
      ? [...issued.values()].reduce((a, b) => a + b, 0)
      : issued.get(clientId.toLowerCase()) ?? 0,
    setLatency: (ms) => { latencyMs = ms; },
    scriptError: (spec) => { scripted.push({ ...spec }); },
    close: () => new Promise<void>((resolve, reject) => {
      server.close((e) => (e ? reject(e) : resolve()));
      server.closeAllConnections();
    }),
  };
}
