// Pod subresources that talk to a container rather than to storage: `log` (text/plain from a
// test-supplied log, `container` and `tailLines` as the real server applies them) and `proxy`
// (`pods/<name>[:<port>]/proxy/<path>` forwarded over HTTP to the pod IP, headers and body
// passed through minus credentials, as the real server's upgrade-aware proxy does).
// Deviation: a real server refuses to proxy to loopback pod IPs; every peer address is
// loopback, so this one allows them. `follow`, `previous`, `timestamps` are not modelled.
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { RequestInfo } from "./request.ts";
import { badRequest, invalid, KubeError, methodNotAllowed, notFound } from "./status.ts";
import type { Store } from "./store.ts";
import type { KubeObject } from "./types.ts";

const PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/(log|proxy)(\/.*)?$/;
const POD_DEF = { plural: "pods", group: "", kind: "Pod" };
/** Hop-by-hop and credential headers a proxy must not forward. */
const DROP = new Set(["authorization", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer", "host",
  "impersonate-user", "impersonate-group", "impersonate-uid"]);

export class PodSubresources {
  private readonly logs = new Map<string, string>();

  constructor(private readonly store: Store, private readonly podsKey: string) {}

  /** `container` undefined: the pod's first (or only) container. */
  setLog(namespace: string, name: string, text: string, container?: string): void {
    this.logs.set(`${namespace}/${name}/${container ?? ""}`, text);
  }

  appendLog(namespace: string, name: string, text: string, container?: string): void {
    const key = `${namespace}/${name}/${container ?? ""}`;
    this.logs.set(key, (this.logs.get(key) ?? "") + text);
  }

  handles(info: RequestInfo): boolean {
    return info.resourceRequest && PATH.test(info.path);
  }

  /** Writes the response itself; failures are thrown as KubeError (a Status body). */
  async serve(info: RequestInfo, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const m = PATH.exec(info.path);
    if (!m) throw notFound(POD_DEF, "");
    const namespace = decodeURIComponent(m[1] ?? "");
    const target = decodeURIComponent(m[2] ?? "");
    if (m[3] === "log") return this.serveLog(namespace, target, info, res);
    return this.proxy(namespace, target, m[4] ?? "/", info, req, res);
  }

  private pod(namespace: string, name: string): KubeObject {
    const pod = this.store.get(this.podsKey, namespace, name);
    if (!pod) throw notFound(POD_DEF, name);
    return pod;
  }

  private serveLog(namespace: string, name: string, info: RequestInfo, res: ServerResponse): void {
    if (info.verb !== "get") throw methodNotAllowed();
    const pod = this.pod(namespace, name);
    const containers = containerNames(pod);
    let container = info.query.get("container") ?? "";
    if (container === "") {
      if (containers.length !== 1) {
        throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${containers.join(" ")}]`);
      }
      container = containers[0] ?? "";
    } else if (!containers.includes(container)) {
      throw badRequest(`container ${container} is not valid for pod ${name}`);
    }
    let text = this.logs.get(`${namespace}/${name}/${container}`)
      ?? (container === containers[0] ? this.logs.get(`${namespace}/${name}/`) : undefined) ?? "";
    const tail = info.query.get("tailLines");
    if (tail !== null) {
      if (!/^-?\d+$/.test(tail)) throw badRequest(`tailLines: Invalid value: "${tail}": strconv.ParseInt: parsing "${tail}": invalid syntax`);
      const n = Number(tail);
      if (n < 0) throw invalid({ kind: "PodLogOptions", group: "" }, "", [{ reason: "FieldValueInvalid", field: "tailLines", message: `Invalid value: ${n}: must be greater than or equal to 0` }]);
      text = tailLines(text, n);
    }
    res.writeHead(200, { "Content-Type": "text/plain" }).end(text);
  }

  private async proxy(namespace: string, target: string, path: string, info: RequestInfo, req: IncomingMessage, res: ServerResponse): Promise<void> {
    // `<name>`, `<name>:<port>` or `<scheme>:<name>:<port>`; only http is modelled.
    const parts = target.split(":");
    const [name, port] = parts.length === 3 ? [parts[1] ?? "", parts[2] ?? ""] : [parts[0] ?? "", parts[1] ?? ""];
    if (parts.length === 3 && parts[0] !== "http") throw badRequest(`scheme ${parts[0] ?? ""} is not supported by the peer's pod proxy`);
    const pod = this.pod(namespace, name);
    const status = (pod.status ?? {}) as { podIP?: string };
    const ip = status.podIP ?? "";
    const resolved = port !== "" ? port : firstContainerPort(pod) ?? "80";
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (!DROP.has(k.toLowerCase()) && v !== undefined) headers[k] = v;
    headers["x-forwarded-for"] = req.socket.remoteAddress ?? "";
    const query = info.query.toString();
    await new Promise<void>((resolve, reject) => {
      const upstream = http.request({ host: ip, port: Number(resolved), path: path + (query ? `?${query}` : ""), method: req.method ?? "GET", headers, agent: false }, (up) => {
        const out: http.OutgoingHttpHeaders = {};
        for (const [k, v] of Object.entries(up.headers)) if (!DROP.has(k.toLowerCase()) && v !== undefined) out[k] = v;
        res.writeHead(up.statusCode ?? 502, out);
        up.pipe(res);
        up.on("end", () => resolve());
        up.on("error", reject);
      });
      upstream.on("error", (err: NodeJS.ErrnoException) => {
        reject(new KubeError(503, "ServiceUnavailable", `error trying to reach service: dial tcp ${ip}:${resolved}: ${err.code === "ECONNREFUSED" ? "connect: connection refused" : err.message}`));
      });
      req.pipe(upstream);
    });
  }
}

function containerNames(pod: KubeObject): string[] {
  const spec = (pod.spec ?? {}) as { containers?: Array<{ name?: string }> };
  return (spec.containers ?? []).map((c) => c.name ?? "").filter((n) => n !== "");
}

function firstContainerPort(pod: KubeObject): string | undefined {
  const spec = (pod.spec ?? {}) as { containers?: Array<{ ports?: Array<{ containerPort?: number }> }> };
  for (const c of spec.containers ?? []) {
    const p = c.ports?.[0]?.containerPort;
    if (p !== undefined) return String(p);
  }
  return undefined;
}

/** The last n lines (a trailing newline ends the last line, it does not start a new one). */
function tailLines(text: string, n: number): string {
  if (n === 0 || text === "") return "";
  const body = text.endsWith("\n") ? text.slice(0, -1) : text;
  const lines = body.split("\n");
  return lines.slice(-n).join("\n") + (text.endsWith("\n") ? "\n" : "");
}
