// Shared wiring for NMI integration tests: kube-apiserver, IMDS (and optionally Entra ID)
// peers, a real NMI built with buildNmi on port 0, captured JSON logs, and requests made from
// a chosen 127.0.0.x source address (each address plays one pod; 127.0.0.1 is the node).
import http from "node:http";
import { pino } from "pino";
import { Registry } from "prom-client";
import type { AzureAssignedIdentity, AzureIdentity, AzureIdentityBinding, AzurePodIdentityException, Pod } from "../../core/index.ts";
import { buildNmi, parseNmiConfig, type NmiConfigInput, type NmiHandle } from "../../nmi/index.ts";
import type { Kind } from "../../nmi/state/store.ts";
import { startEntraPeer, type EntraPeer } from "../../sandbox/peers/entra/index.ts";
import { startImdsPeer, type AssignedIdentity, type ImdsPeer } from "../../sandbox/peers/imds/index.ts";
import { kubeConfigFor, startKubePeer, type KubeObject, type KubePeer } from "../../sandbox/peers/kube/index.ts";
import { testPki } from "../../sandbox/pki.ts";

export const TENANT = "11111111-2222-3333-4444-555555555555";
export const HOST_ID = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/mc_rg/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-a";

export interface HarnessOptions {
  node?: string;
  entra?: boolean;
  /** NMI config overrides (nodeName, ports, IMDS endpoint are set by the harness). */
  nmi?: Partial<NmiConfigInput>;
  imdsLimits?: { perSecond?: number; concurrent?: number };
  imdsLatencyMs?: number;
  /** Runs before NMI is built (e.g. inject kube faults for the initial sync). */
  beforeNmi?: (kube: KubePeer) => void;
  /** Leave `nmi.start()` to the test. */
  deferStart?: boolean;
}

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: Record<string, unknown>;
  /** Catalog code from `x-podid-error` ("" on success). */
  code: string;
  ms: number;
}

const KIND_OF: Record<string, Kind> = {
  pods: "pods",
  azureassignedidentities: "assigned",
  azureidentities: "identities",
  azureidentitybindings: "bindings",
  azurepodidentityexceptions: "exceptions",
};

export class NmiHarness {
  readonly logs: string[] = [];
  readonly registry = new Registry();
  /** Identities currently on the node's host (the IMDS peer's assignment source). */
  readonly hostIdentities: AssignedIdentity[] = [];
  nmi!: NmiHandle;
  entra: EntraPeer | undefined;

  private constructor(readonly kube: KubePeer, readonly imds: ImdsPeer, readonly node: string) {}

  static async start(o: HarnessOptions = {}): Promise<NmiHarness> {
    const kube = await startKubePeer();
    const box: { h?: NmiHarness } = {};
    const imds = await startImdsPeer({
      host: HOST_ID,
      tenantId: TENANT,
      assignments: () => box.h?.hostIdentities ?? [],
      ...(o.imdsLimits ? { limits: o.imdsLimits } : {}),
      ...(o.imdsLatencyMs !== undefined ? { latencyMs: o.imdsLatencyMs } : {}),
    });
    const h = new NmiHarness(kube, imds, o.node ?? "node-a");
    box.h = h;
    if (o.entra) {
      const pki = testPki();
      h.entra = await startEntraPeer({ cert: pki.cert, key: pki.key });
    }
    const config = parseNmiConfig({
      nodeName: h.node,
      tokenAddress: "127.0.0.1",
      tokenPort: 0,
      probeAddress: "127.0.0.1",
      healthPort: 0,
      metricsPort: 0,
      imdsEndpoint: imds.url,
      waitBudgetMs: 1500,
      pollIntervalMs: 100,
      retryBaseMs: 20,
      informerBackoffMs: 50,
      informerBackoffMaxMs: 200,
      ...o.nmi,
    });
    o.beforeNmi?.(kube);
    const logger = pino({ level: "debug" }, { write: (line: string) => void h.logs.push(line) });
    h.nmi = buildNmi({ config, logger, registry: h.registry, kubeConfig: kubeConfigFor(kube) });
    if (!o.deferStart) await h.nmi.start();
    return h;
  }

  async close(): Promise<void> {
    await this.nmi.stop();
    await Promise.all([this.kube.close(), this.imds.close(), this.entra?.close()]);
  }

  /** Writes an object to the kube peer and waits until NMI's informers have seen this version. */
  async apply(resource: string, obj: Pod | AzureIdentity | AzureIdentityBinding | AzureAssignedIdentity | AzurePodIdentityException): Promise<void> {
    const stored = this.kube.put(resource, JSON.parse(JSON.stringify(obj)) as KubeObject);
    const kind = KIND_OF[resource];
    if (!kind) return;
    const rv = stored.metadata.resourceVersion;
    await this.until(() => this.nmi.state.objectVersion(kind, stored.metadata.namespace, stored.metadata.name) === rv, `${resource} ${stored.metadata.name}@${rv ?? ""}`);
  }

  async delete(resource: string, namespace: string, name: string): Promise<void> {
    this.kube.remove(resource, namespace, name);
    const kind = KIND_OF[resource];
    if (kind) await this.until(() => this.nmi.state.objectVersion(kind, namespace, name) === undefined, `${resource} ${name} gone`);
  }

  /** Kubernetes Secret with data values (base64-encoded here, as the API stores them). */
  putSecret(namespace: string, name: string, data: Record<string, string | Buffer>): void {
    const encoded: Record<string, string> = {};
    for (const [k, v] of Object.entries(data)) encoded[k] = (typeof v === "string" ? Buffer.from(v) : v).toString("base64");
    this.kube.put("secrets", { apiVersion: "v1", kind: "Secret", metadata: { name, namespace }, type: "Opaque", data: encoded });
  }

  /** Puts a type-0 identity on the node's host (what the MIC's ARM PATCH would do). */
  assignToHost(identity: AzureIdentity): void {
    this.hostIdentities.push({
      clientId: identity.spec.clientID ?? "",
      resourceId: identity.spec.resourceID ?? "",
      principalId: `oid-${identity.metadata.name}`,
    });
  }

  async until(pred: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** A raw request to the NMI token port from `from` (a 127.0.0.x address). */
  request(path: string, o: { from: string; headers?: Record<string, string>; method?: string; port?: number }): Promise<HttpResult> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: "127.0.0.1", port: o.port ?? this.nmi.addresses.token.port, path, method: o.method ?? "GET", localAddress: o.from, headers: o.headers ?? {}, agent: false },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (text += c));
          res.on("end", () => {
            let json: Record<string, unknown> = {};
            try {
              json = JSON.parse(text) as Record<string, unknown>;
            } catch {
              // non-JSON answers (proxy text) keep json empty
            }
            const code = res.headers["x-podid-error"];
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json, code: typeof code === "string" ? code : "", ms: Date.now() - started });
          });
        },
      );
      req.on("error", reject);
      req.end();
    });
  }

  /** Token request with `Metadata: true` from a pod address. */
  token(from: string, query: Record<string, string>, headers: Record<string, string> = { Metadata: "true" }): Promise<HttpResult> {
    return this.request(`/metadata/identity/oauth2/token?${new URLSearchParams({ "api-version": "2018-02-01", ...query }).toString()}`, { from, headers });
  }

  /** GET on the metrics port. */
  async metrics(): Promise<string> {
    const r = await this.request("/metrics", { from: "127.0.0.1", port: this.nmi.addresses.metrics.port });
    return r.text;
  }

  logText(): string {
    return this.logs.join("");
  }
}
