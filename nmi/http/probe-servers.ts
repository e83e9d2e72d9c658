// Health (/healthz liveness, /readyz readiness) and metrics (/metrics) on their own ports, so
// a scrape or a probe never queues behind token traffic and pods never reach them via DNAT.
import http from "node:http";
import type { Registry } from "prom-client";

export function createHealthServer(isReady: () => boolean): http.Server {
  return http.createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    } else if (path === "/readyz") {
      const ready = isReady();
      res.writeHead(ready ? 200 : 503, { "content-type": "text/plain" }).end(ready ? "ready" : "not ready: informers not synced");
    } else {
      res.writeHead(404).end();
    }
  });
}

export function createMetricsServer(registry: Registry): http.Server {
  return http.createServer((req, res) => {
    if ((req.url ?? "").split("?")[0] !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    registry
      .metrics()
      .then((text) => res.writeHead(200, { "content-type": registry.contentType }).end(text))
      .catch(() => res.writeHead(500).end());
  });
}
