// What runs "inside" a sandbox pod: an app that gets a token the way any Azure SDK app does, with
// a real @azure/identity ManagedIdentityCredential, and reports each change of outcome to the
// sandbox. It runs in its own worker thread because msal caches its managed-identity source
// (and that source's network client, i.e. the pod's address) once per JavaScript realm.
// AZURE_POD_IDENTITY_AUTHORITY_HOST (set in the worker's env) points the SDK at the node's NMI.
import { parentPort, workerData } from "node:worker_threads";
import { ManagedIdentityCredential } from "@azure/identity";
import { z } from "zod";
import { decodeTestToken } from "./peers/imds/test-token.ts";
import { podHttpClient } from "./pod-http-client.ts";

export const PodAppInputSchema = z.object({ podIp: z.string(), scope: z.string(), retryMs: z.number().int().positive() });
export type PodAppInput = z.infer<typeof PodAppInputSchema>;

export type PodAppReport =
  | { kind: "token"; clientId: string; audience: string; expiresOn: number }
  | { kind: "error"; message: string };

async function main(): Promise<void> {
  const input = PodAppInputSchema.parse(workerData);
  const credential = new ManagedIdentityCredential({ httpClient: podHttpClient(input.podIp) });
  let last = "";
  for (;;) {
    try {
      const t = await credential.getToken(input.scope);
      const claims = decodeTestToken(t.token);
      const report: PodAppReport = { kind: "token", clientId: String(claims.appid ?? ""), audience: String(claims.aud ?? ""), expiresOn: t.expiresOnTimestamp };
      parentPort?.postMessage(report);
      return;
    } catch (err) {
      const message = (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";
      if (message !== last) parentPort?.postMessage({ kind: "error", message } satisfies PodAppReport);
      last = message;
      await new Promise((r) => setTimeout(r, input.retryMs));
    }
  }
}

await main();
