// The function app's HTTP routes on loopback, as the Functions host serves them: every
// registered httpTrigger under /api/<route> ({name} segments become route params), methods as
// registered, function-level auth with one function key (x-functions-key header or ?code=),
// invoked through the functions kit so the app's own handlers answer (e.g. the MIC status API
// that `podid status` and `podid diagnose` read).
import { randomBytes, timingSafeEqual } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:http";
import type { IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { CapturedApp, RpcTypedData } from "./functions-kit/index.ts";

export interface FunctionsHttp {
  /** `http://127.0.0.1:<port>` (routes are under /api). */
  url: string;
  /** The function key that function-level routes require. */
  key: string;
  close(): Promise<void>;
}

interface Route { name: string; methods: string[]; auth: string; pattern: RegExp; params: string[] }

function routesOf(app: CapturedApp): Route[] {
  return app.list().filter((r) => r.triggerType.toLowerCase() === "httptrigger").map((r) => {
    const m = r.trigger.metadata;
    const template = typeof m.route === "string" ? m.route : r.name;
    const params: string[] = [];
    const source = template.replace(/^\/+/, "").split("/").map((seg) => {
      const p = /^\{([^}:?]+)[^}]*\}$/.exec(seg);
      if (!p) return seg.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
      params.push(p[1] ?? "");
      return "([^/]+)";
    }).join("/");
    const methods = Array.isArray(m.methods) ? m.methods.map((x) => String(x).toUpperCase()) : [];
    return { name: r.name, methods, auth: typeof m.authLevel === "string" ? m.authLevel.toLowerCase() : "function", pattern: new RegExp(`^/api/${source}/?$`, "i"), params };
  });
}

async function body(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return chunks.length > 0 ? Buffer.concat(chunks) : undefined;
}

const sameKey = (given: string | null | undefined, key: string): boolean =>
  typeof given === "string" && given.length === key.length && timingSafeEqual(Buffer.from(given), Buffer.from(key));

export async function startFunctionsHttp(o: {
  app: CapturedApp; host?: string; port?: number; key?: string;
  /** Extra inputs per invocation (e.g. the durable client binding). */
  inputs?: () => Record<string, RpcTypedData>;
}): Promise<FunctionsHttp> {
  const key = o.key ?? randomBytes(24).toString("base64url");
  const routes = routesOf(o.app);
  const server = createServer((req, res) => {
    const reply = (status: number, payload: object): void => {
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(payload));
    };
    const url = new URL(req.url ?? "/", "http://localhost");
    const method = (req.method ?? "GET").toUpperCase();
    const route = routes.find((r) => r.pattern.test(url.pathname));
    if (!route) return reply(404, { error: "not_found" });
    if (route.methods.length > 0 && !route.methods.includes(method)) return reply(405, { error: "method_not_allowed" });
    const header = req.headers["x-functions-key"];
    if (route.auth !== "anonymous" && !sameKey(typeof header === "string" ? header : url.searchParams.get("code"), key)) return reply(401, { error: "unauthorized" });
    const match = route.pattern.exec(url.pathname) ?? [];
    const params = Object.fromEntries(route.params.map((p, i) => [p, decodeURIComponent(match[i + 1] ?? "")]));
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([, v]) => typeof v === "string") as [string, string][]);
    void (async () => {
      const raw = await body(req);
      const result = await o.app.invokeHttp(route.name, {
        method, url: `http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`, headers, params, ...(raw ? { body: raw } : {}),
      }, o.inputs ? { inputs: o.inputs() } : {});
      res.writeHead(result.status, result.headers).end(result.body);
    })().catch((err: unknown) => {
      if (!res.headersSent) reply(500, { error: "function_failed", message: err instanceof Error ? err.message : String(err) });
      else res.destroy();
    });
  });
  server.listen(o.port ?? 0, o.host ?? "127.0.0.1");
  await once(server, "listening");
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    key,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
