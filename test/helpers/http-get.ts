// One GET on a fresh TCP connection (agent: false). NAT applies to a connection's first
// packet only, so reused keep-alive sockets would hide iptables changes from the tests.
import { request } from "node:http";

export function httpGetFresh(url: string, headers: Record<string, string> = {}, timeoutMs = 10_000): Promise<{ status: number; body: string; server: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => { body += d; });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, server: String(res.headers.server ?? "") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}
