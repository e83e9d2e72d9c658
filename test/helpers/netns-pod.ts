// Runs inside a pod namespace: a workload with no special configuration. It calls
// http://169.254.169.254 like any Azure SDK; only the node's iptables can send it to NMI.
import { ManagedIdentityCredential } from "@azure/identity";
import { serveJsonLines } from "./json-lines-child.ts";
import { httpGetFresh } from "./http-get.ts";

serveJsonLines({
  async fetch(msg) {
      return httpGetFresh(String(msg.url), (msg.headers ?? {}) as Record<string, string>, typeof msg.timeoutMs === "number" ? msg.timeoutMs : 10_000);
  },
  async credential(msg) {
    const clientId = String(msg.clientId);
    // A fresh credential per request: no cross-request cache inside this process.
    const credential = new ManagedIdentityCredential({ clientId });
    try {
      const token = await credential.getToken(String(msg.scope), { abortSignal: AbortSignal.timeout(20_000) });
      return { ok: true, token: token.token, expiresOnTimestamp: token.expiresOnTimestamp };
    } catch (err) {
      const e = err as { name?: string; message?: string; statusCode?: number };
      return { ok: false, name: e.name, message: e.message, statusCode: e.statusCode };
    }
  },
}, async () => { process.exit(0); });

process.stdout.write(`${JSON.stringify({ type: "ready", pid: process.pid })}\n`);
