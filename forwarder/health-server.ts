// /healthz + /readyz on one port, /metrics on another (so the metrics port can be exposed to
// Prometheus without exposing probes, and vice versa).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface Readiness {
  ready: boolean;
  role: "leader" | "standby";
  [detail: string]: unknown;
}

export interface HealthServerOptions {
  host: string;
  healthPort: number;
  metricsPort: number;
  registry: Registry;
  readiness: () => Readiness;
}

export interface HealthServers {
  healthPort: number;
  metricsPort: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown, contentType = "application/json"): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": contentType, "cache-control": "no-store" });
  res.end(text);
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startHealthServers(o: HealthServerOptions): Promise<HealthServers> {
  const health = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, { error: "method not allowed" });
    if (path === "/healthz") return send(res, 200, { status: "ok" });
    if (path === "/readyz") {
      const r = o.readiness();
      return send(res, r.ready ? 200 : 503, r);
    }
    return send(res, 404, { error: "not found" });
  });
  const metrics = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/metrics") return send(res, 404, { error: "not found" });
    o.registry.metrics().then(
      (text) => send(res, 200, text, o.registry.contentType),
      (e: unknown) => send(res, 500, { error: String(e) }),
    );
  });
  const healthPort = await listen(health, o.host, o.healthPort);
  let metricsPort: number;
  try {
    metricsPort = await listen(metrics, o.host, o.metricsPort);
  } catch (e) {
    await close(health);
    throw e;
  }
  return {
    healthPort,
    metricsPort,
    close: async () => {
      await Promise.all([close(health), close(metrics)]);
    },
  };
}
