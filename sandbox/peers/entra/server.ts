// The Entra ID peer over HTTPS: discovery documents, JWKS and the v2 token endpoint for the
// client-credentials grant, with scripted throttling/outages and counters for tests.
import { generateKeyPairSync, randomUUID, sign } from "node:crypto";
import type { IncomingMessage } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { Directory, type RegisterAppOptions } from "./directory.ts";
import { instanceDiscovery, jwks, openIdConfiguration, tokenEndpointOf } from "./discovery.ts";
import { aadErrorBody, aadErrors, type AadError } from "./errors.ts";
import { clientCredentials, type TokenIssuer } from "./token.ts";

export interface StartEntraPeerOptions {
  cert: string;
  key: string;
  port?: number;
  address?: string;
  tokenLifetimeSeconds?: number;
}

export interface ScriptedAadError {
  status: number;
  /** OAuth error (default `temporarily_unavailable`). */
  error?: string;
  /** AADSTS number (default 90033, transient). */
  code?: number;
  description?: string;
  times?: number;
  retryAfterSeconds?: number;
}

export interface EntraLogEntry { time: number; method: string; path: string; status: number }

export interface EntraPeer {
  /** `https://127.0.0.1:<port>`: the authority host. */
  readonly url: string;
  /** `127.0.0.1:<port>`, for MSAL's `knownAuthorities`. */
  readonly knownAuthority: string;
  authority(tenantId: string): string;
  registerApp(opts: RegisterAppOptions): void;
  addTenant(tenantId: string): void;
  /** The next `times` token requests fail with this status (before any other check). */
  scriptError(spec: ScriptedAadError): void;
  readonly tokenRequests: number;
  tokensIssued(clientId?: string): number;
  readonly log: readonly EntraLogEntry[];
  close(): Promise<void>;
}

type Reply = { status: number; body: object; headers?: Record<string, string> };

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let text = "";
  for await (const chunk of req) {
    text += (chunk as Buffer).toString("utf8");
    if (text.length > 1024 * 1024) break;
  }
  return new URLSearchParams(text);
}

export async function startEntraPeer(opts: StartEntraPeerOptions): Promise<EntraPeer> {
  const directory = new Directory();
  const keys = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const kid = randomUUID().replace(/-/g, "");
  const issuer: TokenIssuer = {
    directory,
    lifetimeSeconds: opts.tokenLifetimeSeconds ?? 3599,
    kid,
    sign: (input) => sign("sha256", Buffer.from(input), keys.privateKey).toString("base64url"),
  };
  const scripted: ScriptedAadError[] = [];
  const issued = new Map<string, number>();
  const log: EntraLogEntry[] = [];
  let tokenRequests = 0;
  let origin = "";

  const fail = (err: AadError, req: IncomingMessage): Reply => {
    const corr = req.headers["client-request-id"];
    return { status: err.status, body: aadErrorBody(err, origin, typeof corr === "string" ? corr : undefined), ...(err.headers ? { headers: err.headers } : {}) };
  };
  const knownTenant = (t: string) => directory.hasTenant(t) || ["common", "organizations"].includes(t.toLowerCase());

  async function route(req: IncomingMessage): Promise<Reply> {
    const url = new URL(req.url ?? "/", origin);
    const seg = url.pathname.split("/").filter((s) => s !== "");
    const tenant = seg[0] ?? "";
    const rest = seg.slice(1).join("/").toLowerCase();
    if (req.method === "GET" && rest === "discovery/instance") return { status: 200, body: instanceDiscovery(origin, url.searchParams.get("authorization_endpoint")) };
    if (req.method === "GET" && (rest === "v2.0/.well-known/openid-configuration" || rest === ".well-known/openid-configuration")) {
      return knownTenant(tenant) ? { status: 200, body: openIdConfiguration(origin, tenant) } : fail(aadErrors.unknownTenant(tenant), req);
    }
    if (req.method === "GET" && rest === "discovery/v2.0/keys") {
      return { status: 200, body: jwks(kid, keys.publicKey.export({ format: "jwk" }), `${origin}/${tenant}/v2.0`) };
    }
    if (req.method !== "POST" || rest !== "oauth2/v2.0/token") return { status: 404, body: { error: "not_found" } };
    tokenRequests++;
    const form = await readForm(req);
    const fault = scripted[0];
    if (fault) {
      fault.times = (fault.times ?? 1) - 1;
      if (fault.times <= 0) scripted.shift();
      const base = aadErrors.transient();
      return fail({
        status: fault.status, error: fault.error ?? base.error, code: fault.code ?? base.code, description: fault.description ?? base.description,
        ...(fault.retryAfterSeconds !== undefined ? { headers: { "retry-after": String(fault.retryAfterSeconds) } } : {}),
      }, req);
    }
    if (!directory.hasTenant(tenant)) return fail(aadErrors.unknownTenant(tenant), req);
    const result = clientCredentials(issuer, tenant, form, tokenEndpointOf(origin, tenant));
    if ("error" in result) return fail(result, req);
    const key = result.app.clientId.toLowerCase();
    issued.set(key, (issued.get(key) ?? 0) + 1);
    return { status: 200, body: result.body };
  }

  const server = https.createServer({ cert: opts.cert, key: opts.key }, (req, res) => {
    const time = Date.now();
    void route(req).catch((e: unknown): Reply => ({ status: 500, body: { error: "server_error", error_description: String(e) } })).then((reply) => {
      log.push({ time, method: req.method ?? "", path: req.url ?? "", status: reply.status });
      res.writeHead(reply.status, { ...(reply.headers ?? {}), "content-type": "application/json; charset=utf-8", "cache-control": "no-store, no-cache" })
        .end(JSON.stringify(reply.body));
    });
  });
  const address = opts.address ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, address, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = `${address.includes(":") ? `[${address}]` : address}:${port}`;
  origin = `https://${host}`;
  return {
    url: origin,
    knownAuthority: host,
    authority: (tenantId) => `${origin}/${tenantId}`,
    registerApp: (o) => { directory.registerApp(o); },
    addTenant: (t) => directory.addTenant(t),
    scriptError: (spec) => { scripted.push({ ...spec }); },
    get tokenRequests() { return tokenRequests; },
    tokensIssued: (clientId) => clientId === undefined
      ? [...issued.values()].reduce((a, b) => a + b, 0)
      : issued.get(clientId.toLowerCase()) ?? 0,
    log,
    close: () => new Promise<void>((resolve, reject) => {
      server.close((e) => (e ? reject(e) : resolve()));
      server.closeAllConnections();
    }),
  };
}
