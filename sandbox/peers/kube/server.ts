// startKubePeer: a node:http Kubernetes API server for tests and the sandbox. Authentication
// (bearer tokens), an authorize hook, fault injection and a request log wrap the handlers.
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { fileURLToPath } from "node:url";
import { discovery, VERSION_INFO } from "./discovery.ts";
import { openapiV3 } from "./openapi.ts";
import { handleResource, type HandlerDeps, type Reply } from "./handlers.ts";
import { PodSubresources } from "./pod-subresources.ts";
import { parseRequestInfo, type RequestInfo } from "./request.ts";
import { loadCrdDir, Registry, storageKey } from "./resources.ts";
import { forbidden, forCode, KubeError, noRoute, unauthorized } from "./status.ts";
import { Store } from "./store.ts";
import type { InjectedError, KubeObject, KubePeer, RequestLogEntry, StartKubePeerOptions, UserInfo } from "./types.ts";
import { WatchHub } from "./watch.ts";
import { now, Writes } from "./writes.ts";

export const DEFAULT_CRD_DIR = fileURLToPath(new URL("../../../infra/crds", import.meta.url));
const SEED_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];
const ANONYMOUS_PATHS = new Set(["/version", "/healthz", "/livez", "/readyz"]);
const ADMIN: UserInfo = { username: "admin", groups: ["system:masters", "system:authenticated"] };

export async function startKubePeer(opts: StartKubePeerOptions = {}): Promise<KubePeer> {
  const store = new Store(opts.historyLimit);
  const registry = new Registry();
  const writes = new Writes(store, registry);
  const hub = new WatchHub(store, { bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 60_000, expiredAs: opts.watchExpiredAs ?? "event" });
  const deps: HandlerDeps = { store, registry, writes, hub };
  const crdDef = registry.find("apiextensions.k8s.io", "v1", "customresourcedefinitions");
  const nsDef = registry.find("", "v1", "namespaces");
  if (!crdDef || !nsDef) throw new Error("kube peer: built-in resources missing");
  const crdDir = opts.crdDir === undefined ? DEFAULT_CRD_DIR : opts.crdDir;
  if (crdDir !== null) for (const crd of loadCrdDir(crdDir)) writes.create(crdDef, "", crd);
  const ensureNamespace = (name: string): void => {
    if (!store.get(storageKey(nsDef), undefined, name)) writes.create(nsDef, "", { metadata: { name } });
  };
  if (opts.seedNamespaces !== false) SEED_NAMESPACES.forEach(ensureNamespace);
  const podDef = registry.find("", "v1", "pods");
  if (!podDef) throw new Error("kube peer: built-in resources missing");
  const podSubresources = new PodSubresources(store, storageKey(podDef));

  const tokens = new Map<string, UserInfo>(Object.entries(opts.tokens ?? {}));
  if (opts.token !== undefined) tokens.set(opts.token, ADMIN);
  const requests: RequestLogEntry[] = [];
  let injected: InjectedError[] = [];
  let latencyMs = 0;

  function authenticate(req: IncomingMessage, path: string): UserInfo {
    if (tokens.size === 0) return ADMIN;
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
    const user = m?.[1] ? tokens.get(m[1]) : undefined;
    if (user) return { ...user, groups: [...user.groups, "system:authenticated"] };
    if (ANONYMOUS_PATHS.has(path) && !m) return { username: "system:anonymous", groups: ["system:unauthenticated"] };
    throw unauthorized();
  }

  function takeInjected(method: string, path: string): KubeError | undefined {
    const e = injected.find((x) => (!x.method || x.method.toUpperCase() === method) && (!x.pathPrefix || path.startsWith(x.pathPrefix)));
    if (!e) return undefined;
    e.times = (e.times ?? 1) - 1;
    if (e.times <= 0) injected = injected.filter((x) => x !== e);
    return forCode(e.status, e.reason, e.message, e.retryAfterSeconds);
  }

  async function route(info: RequestInfo, req: IncomingMessage, res: ServerResponse): Promise<Reply | undefined> {
    if (podSubresources.handles(info)) { await podSubresources.serve(info, req, res); return undefined; }
    if (info.resourceRequest) return handleResource(deps, info, req, res);
    if (info.path === "/version") return { status: 200, body: VERSION_INFO };
    const doc = info.path.startsWith("/openapi/v3") ? openapiV3(registry, info.path)
      : discovery(registry, info.path, `${req.socket.localAddress ?? "127.0.0.1"}:${port}`);
    if (doc) return { status: 200, body: doc };
    throw noRoute();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    const info = parseRequestInfo(method, req.url ?? "/");
    const entry: RequestLogEntry = {
      time: new Date().toISOString(), method, path: info.path, query: info.query.toString(), user: "", verb: info.verb,
      contentType: req.headers["content-type"] ?? "", status: 0,
    };
    requests.push(entry);
    res.on("close", () => { entry.status = res.statusCode; });
    const send = (status: number, body: object, warnings: string[] = []): void => {
      const text = JSON.stringify(body);
      const headers: Record<string, string | string[]> = { "Content-Type": "application/json", "Audit-Id": randomUUID() };
      if (warnings.length > 0) headers.Warning = warnings.map((w) => `299 - ${JSON.stringify(w)}`);
      res.writeHead(status, headers).end(text);
    };
    try {
      if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
      if (["/healthz", "/livez", "/readyz"].includes(info.path)) { res.writeHead(200, { "Content-Type": "text/plain" }).end("ok"); return; }
      const user = authenticate(req, info.path);
      entry.user = user.username;
      if (opts.authorize) {
        const attrs = { user, verb: info.resourceRequest ? info.verb : method.toLowerCase(), resourceRequest: info.resourceRequest, path: info.path,
          group: info.group, version: info.version, resource: info.resource, subresource: info.subresource, namespace: info.namespace, name: info.name };
        const d = await opts.authorize(attrs);
        const decision = typeof d === "boolean" ? { allowed: d } : d;
        if (!decision.allowed) throw forbidden(attrs, decision.reason);
      }
      const fault = takeInjected(method, info.path);
      if (fault) throw fault;
      const reply = await route(info, req, res);
      if (reply) send(reply.status, reply.body, reply.warnings);
    } catch (err) {
      const e = err instanceof KubeError ? err : new KubeError(500, "InternalError", `Internal error occurred: ${(err as Error).message}`);
      if (res.headersSent) { res.end(); return; }
      if (e.retryAfterSeconds !== undefined) res.setHeader("Retry-After", String(e.retryAfterSeconds));
      send(e.code, e.toStatus());
    }
  }

  const listener = (req: IncomingMessage, res: ServerResponse): void => void handle(req, res);
  const server = opts.tls ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, listener) : createServer(listener);
  const host = opts.host ?? "127.0.0.1";
  server.listen(opts.port ?? 0, host);
  try {
    await once(server, "listening");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new Error(`kube peer: port ${opts.port ?? 0} on ${host} is already in use`, { cause: err });
    }
    throw err;
  }
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  const def = (resource: string) => {
    const d = registry.byName(resource);
    if (!d) throw new Error(`kube peer: unknown resource '${resource}'`);
    return d;
  };

  return {
    url: `${opts.tls ? "https" : "http"}://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    ...(opts.tls?.caCertPath ? { caCertPath: opts.tls.caCertPath } : {}),
    async close() {
      hub.closeAll();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
    resourceVersion: () => store.currentRv(),
    compact: () => store.compact(),
    dropWatches: () => hub.dropAll(),
    closeWatches: () => hub.closeAll(),
    expireWatches: () => hub.expireAll(),
    watchCount: () => hub.count(),
    injectLatency: (ms) => { latencyMs = ms; },
    injectError: (e) => { injected.push({ ...e }); },
    clearInjectedErrors: () => { injected = []; },
    get: (resource, namespace, name) => {
      const d = def(resource);
      const o = store.get(storageKey(d), d.namespaced ? namespace : undefined, name);
      return o && structuredClone(o);
    },
    list: (resource, namespace) => structuredClone(store.list(storageKey(def(resource)), namespace)),
    put: (resource, obj) => {
      const d = def(resource);
      const old = store.get(storageKey(d), d.namespaced ? obj.metadata.namespace : undefined, obj.metadata.name);
      const o: KubeObject = structuredClone(obj);
      o.apiVersion ??= d.group === "" ? d.version : `${d.group}/${d.version}`;
      o.kind ??= d.kind;
      if (!d.namespaced) delete o.metadata.namespace;
      else o.metadata.namespace ??= "default";
      o.metadata.uid ??= old?.metadata.uid ?? randomUUID();
      o.metadata.creationTimestamp ??= old?.metadata.creationTimestamp ?? now();
      o.metadata.generation ??= old?.metadata.generation ?? 1;
      return structuredClone(store.write(storageKey(d), o));
    },
    remove: (resource, namespace, name) => {
      const d = def(resource);
      const o = store.remove(storageKey(d), d.namespaced ? namespace : undefined, name);
      return o && structuredClone(o);
    },
    ensureNamespace,
    setPodLog: (namespace, name, text, container) => podSubresources.setLog(namespace, name, text, container),
    appendPodLog: (namespace, name, text, container) => podSubresources.appendLog(namespace, name, text, container),
    requests,
    clearRequests: () => { requests.length = 0; },
  };
}
