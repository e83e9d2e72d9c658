// Shared set-up for tests against the kube-apiserver peer: a peer on port 0 with the repo's
// CRDs, real client-node API clients, and small helpers for errors and waiting.
import { ApiException, CoreV1Api, CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { kubeConfigFor, startKubePeer } from "../../sandbox/peers/kube/index.ts";
import type { KubePeer, StartKubePeerOptions } from "../../sandbox/peers/kube/index.ts";

export const GROUP = "aadpodidentity.k8s.io";
export const VERSION = "v1";

export interface KubeFixture {
  peer: KubePeer;
  kc: KubeConfig;
  core: CoreV1Api;
  co: CustomObjectsApi;
  close(): Promise<void>;
}

export async function startKubeFixture(opts: StartKubePeerOptions = {}): Promise<KubeFixture> {
  const peer = await startKubePeer({ bookmarkIntervalMs: 100, ...opts });
  const kc = kubeConfigFor(peer, opts.token);
  return { peer, kc, core: kc.makeApiClient(CoreV1Api), co: kc.makeApiClient(CustomObjectsApi), close: () => peer.close() };
}

export interface StatusBody { kind?: string; status?: string; reason?: string; code?: number; message?: string; details?: { causes?: { reason: string; field?: string; message: string }[]; kind?: string; name?: string; group?: string } }

/** Runs `fn`, expects an ApiException, and returns its HTTP code and decoded Status body. */
export async function expectApiError(fn: () => Promise<unknown>): Promise<{ code: number; status: StatusBody }> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof ApiException)) throw err;
    const raw: unknown = err.body;
    const status = (typeof raw === "string" ? JSON.parse(raw) : raw ?? {}) as StatusBody;
    return { code: err.code, status };
  }
  throw new Error("expected the call to fail");
}

export async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function pod(name: string, namespace: string, labels: Record<string, string> = {}, nodeName?: string): {
  apiVersion: string; kind: string; metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: { nodeName?: string; containers: { name: string; image: string }[] };
} {
  return {
    apiVersion: "v1", kind: "Pod", metadata: { name, namespace, labels },
    spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: "app", image: "busybox" }] },
  };
}
