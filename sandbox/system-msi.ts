// The function app's own managed identity, as App Service / Functions provide it: an HTTP
// endpoint named by IDENTITY_ENDPOINT that answers token requests carrying the secret from
// IDENTITY_HEADER (api-version 2019-08-01). The MIC's DefaultAzureCredential picks this source
// exactly as it does in Azure, so no credential has to be injected into the app.
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { encodeTestToken } from "./peers/imds/test-token.ts";

export interface AppIdentityEndpoint {
  /** Environment variables a Functions host sets for the app (IDENTITY_ENDPOINT, IDENTITY_HEADER). */
  env: { IDENTITY_ENDPOINT: string; IDENTITY_HEADER: string };
  /** Tokens issued so far, by resource. */
  issued(resource?: string): number;
  close(): Promise<void>;
}

export async function startAppIdentityEndpoint(opts: { tenantId: string; principalId?: string; clientId?: string; host?: string }): Promise<AppIdentityEndpoint> {
  const secret = randomUUID();
  const principalId = opts.principalId ?? randomUUID();
  const clientId = opts.clientId ?? randomUUID();
  const issued = new Map<string, number>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const reply = (status: number, body: object): void => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method !== "GET" || url.pathname !== "/msi/token") return reply(404, { error: "not_found" });
    if (req.headers["x-identity-header"] !== secret) return reply(401, { error: "unauthorized", error_description: "X-IDENTITY-HEADER missing or wrong" });
    const resource = url.searchParams.get("resource");
    if (!resource) return reply(400, { error: "invalid_request", error_description: "resource is required" });
    const aud = resource.replace(/\/+$/, "").replace(/\/\.default$/, "");
    const now = Math.floor(Date.now() / 1000);
    const exp = now + 3600;
    issued.set(aud, (issued.get(aud) ?? 0) + 1);
    reply(200, {
      access_token: encodeTestToken({ aud, iss: `https://sts.windows.net/${opts.tenantId}/`, iat: now, nbf: now, exp, tid: opts.tenantId, appid: clientId, oid: principalId, sub: principalId, idtyp: "app" }),
      expires_on: String(exp),
      resource,
      token_type: "Bearer",
      client_id: clientId,
    });
  });
  server.listen(0, opts.host ?? "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    env: { IDENTITY_ENDPOINT: `http://${opts.host ?? "127.0.0.1"}:${port}/msi/token`, IDENTITY_HEADER: secret },
    issued: (resource) => resource === undefined ? [...issued.values()].reduce((a, b) => a + b, 0) : issued.get(resource) ?? 0,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
