// An HttpClient for Azure SDK credentials that sends from a chosen source address: in the
// sandbox every pod is a 127.10.x.y address, and NMI tells pods apart by source address just
// as it does by pod IP in a cluster. Everything above the socket is the real SDK.
import http from "node:http";
import type { ManagedIdentityCredentialClientIdOptions } from "@azure/identity";

type HttpClient = NonNullable<ManagedIdentityCredentialClientIdOptions["httpClient"]>;
type PipelineRequest = Parameters<HttpClient["sendRequest"]>[0];
type PipelineResponse = Awaited<ReturnType<HttpClient["sendRequest"]>>;
type HttpHeaders = PipelineResponse["headers"];

class Headers implements HttpHeaders {
  private readonly map = new Map<string, { name: string; value: string }>();
  get(name: string): string | undefined { return this.map.get(name.toLowerCase())?.value; }
  has(name: string): boolean { return this.map.has(name.toLowerCase()); }
  set(name: string, value: string | number | boolean): void { this.map.set(name.toLowerCase(), { name, value: String(value) }); }
  delete(name: string): void { this.map.delete(name.toLowerCase()); }
  toJSON(options?: { preserveCase?: boolean }): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of this.map) out[options?.preserveCase ? v.name : k] = v.value;
    return out;
  }
  *[Symbol.iterator](): Iterator<[string, string]> {
    for (const [k, v] of this.map) yield [k, v.value];
  }
}

export function podHttpClient(localAddress: string): HttpClient {
  return {
    sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
      return new Promise((resolve, reject) => {
        const req = http.request(request.url, {
          method: request.method, headers: request.headers.toJSON({ preserveCase: true }), localAddress, agent: false,
          timeout: request.timeout > 0 ? request.timeout : 30_000,
        }, (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (text += c));
          res.on("end", () => {
            const headers = new Headers();
            for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
            resolve({ request, status: res.statusCode ?? 0, headers, bodyAsText: text });
          });
        });
        req.on("timeout", () => req.destroy(new Error(`request to ${request.url} timed out`)));
        req.on("error", reject);
        if (typeof request.body === "string") req.end(request.body);
        else req.end();
      });
    },
  };
}
