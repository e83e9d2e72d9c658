// The extension's HTTP management API as its local RPC listener serves it (HttpApiHandler), on
// 127.0.0.1:<port 0>. The real DurableClient calls `${rpcBaseUrl}orchestrators/…` and
// `${rpcBaseUrl}instances/…`; the same routes also answer under /runtime/webhooks/durabletask/.
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { HostCore } from "./host.ts";
import { HostError, checkStatusPayload } from "./status.ts";
import type { RuntimeStatus } from "./store.ts";

export interface RpcServer { rpcBaseUrl: string; webhookBase: string; close(): Promise<void> }

const PREFIXES = ["/durabletask/", "/runtime/webhooks/durabletask/"];
const MAX_BODY = 16 * 1024 * 1024;

class BadJson extends Error {}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) { reject(new HostError("BadRequest", "request body too large")); req.destroy(); } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function parseJson(text: string): unknown {
  if (text.trim() === "") return undefined;
  try { return JSON.parse(text) as unknown; } catch { throw new BadJson("Invalid JSON content"); }
}

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, { ...(body === undefined ? {} : { "content-type": "application/json; charset=utf-8" }), ...headers });
  res.end(text);
}

const ERROR_STATUS: Record<HostError["code"], number> = { NotFound: 404, Gone: 410, BadRequest: 400, AlreadyExists: 500 };

export async function startRpcServer(core: HostCore, taskHub: string): Promise<RpcServer> {
  let webhookBase = "";
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const prefix = PREFIXES.find((p) => url.pathname.startsWith(p));
    if (!prefix) return send(res, 404);
    const seg = url.pathname.slice(prefix.length).split("/").filter((s) => s !== "").map(decodeURIComponent);
    const q = url.searchParams;
    const method = req.method ?? "GET";
    const [root, id, op, arg] = seg;

    if (root === "orchestrators" && id !== undefined && method === "POST" && seg.length <= 3) {
      const input = parseJson(await readBody(req));
      const instanceId = await core.startNew(id, { instanceId: op, input });
      const payload = checkStatusPayload(webhookBase, taskHub, instanceId);
      return send(res, 202, payload, { location: payload.statusQueryGetUri ?? "", "retry-after": "10" });
    }
    if (root !== "instances") return send(res, 404);
    if (id === undefined) {
      if (method !== "GET") return send(res, 404);
      const statuses = q.get("runtimeStatus")?.split(",").filter((s) => s !== "") as RuntimeStatus[] | undefined;
      const from = q.get("createdTimeFrom");
      const to = q.get("createdTimeTo");
      return send(res, 200, await core.listStatus({
        ...(statuses ? { runtimeStatus: statuses } : {}),
        ...(from ? { createdFrom: new Date(from) } : {}),
        ...(to ? { createdTo: new Date(to) } : {}),
      }));
    }
    if (op === undefined && method === "GET") {
      const s = await core.getStatus(id, { showHistory: q.get("showHistory") === "true", showInput: q.get("showInput") !== "false" });
      if (!s) return send(res, 404);
      if (["Pending", "Running", "ContinuedAsNew", "Suspended"].includes(s.runtimeStatus)) {
        return send(res, 202, s, { location: url.href, "retry-after": "5" });
      }
      return send(res, 200, s);
    }
    if (op === undefined && method === "DELETE") {
      return (await core.purge(id)) ? send(res, 200, { instancesDeleted: 1 }) : send(res, 404);
    }
    if (method !== "POST") return send(res, 404);
    const reason = q.get("reason") ?? "";
    if (op === "raiseEvent" && arg !== undefined) {
      const status = await core.getStatus(id);
      if (!status) return send(res, 404);
      if (["Completed", "Failed", "Terminated"].includes(status.runtimeStatus)) return send(res, 410);
      if (!(req.headers["content-type"] ?? "").toLowerCase().startsWith("application/json")) {
        return send(res, 400, { Message: "Only application/json request content is supported" });
      }
      const data = parseJson(await readBody(req));
      await core.raiseEvent(id, arg, data ?? null);
      return send(res, 202);
    }
    if (op === "terminate") { await core.terminate(id, reason); return send(res, 202); }
    if (op === "suspend") { await core.suspend(id, reason); return send(res, 202); }
    if (op === "resume") { await core.resume(id, reason); return send(res, 202); }
    return send(res, 404);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (e instanceof HostError) {
        const status = ERROR_STATUS[e.code];
        return send(res, status, status === 500
          ? { Message: "Something went wrong while processing your request", ExceptionMessage: e.message }
          : { Message: e.message });
      }
      if (e instanceof BadJson) return send(res, 400, { Message: e.message });
      return send(res, 500, { Message: "Something went wrong while processing your request", ExceptionMessage: String(e) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  webhookBase = `http://127.0.0.1:${port}/runtime/webhooks/durabletask`;
  return {
    rpcBaseUrl: `http://127.0.0.1:${port}/durabletask/`,
    webhookBase,
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}
