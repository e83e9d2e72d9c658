// The MIC function app under test: registered through the functions kit (as the worker would),
// orchestrations on the durable host (virtual clock), ARM through @azure/arm-compute against the
// ARM peer (HTTPS), cluster state in Azurite, results in a recording publisher. One per test
// file (the kit is per process); scenarios isolate themselves with their own cluster names.
import { randomUUID } from "node:crypto";
import { pino } from "pino";
import type { TokenCredential } from "@azure/identity";
import type { AzureIdentity, AzureIdentityBinding, Node, Pod } from "../../core/index.ts";
import { startAzurite, type AzuriteHandle } from "../../sandbox/azurite.ts";
import { MemoryStore, startDurableHost, type DurableHost } from "../../sandbox/durable-host/index.ts";
import { installFunctionsCore, serviceBusMessage, type CapturedApp } from "../../sandbox/functions-kit/index.ts";
import { testPki } from "../../sandbox/pki.ts";
import { startArmPeer, type ArmPeer, type StartArmPeerOptions } from "../../sandbox/peers/arm/index.ts";
import { createComputeHosts } from "../../functions/mic/arm/compute-hosts.ts";
import type { MicDeps } from "../../functions/mic/deps.ts";
import type { IngestOutcome } from "../../functions/mic/ingest.ts";
import { reconcileInstanceId } from "../../functions/mic/orchestration/instance-id.ts";
import type { ReconcileTiming } from "../../functions/mic/orchestration/timing.ts";
import { RecordingPublisher } from "../../functions/mic/results/publisher.ts";
import { createTablesStateStore } from "../../functions/mic/state/index.ts";
import { loadSettings } from "../../functions/settings.ts";
import { staticClusterDirectory } from "../../functions/storage/cluster-directory.ts";
import { stateTableClient } from "../../functions/storage/state-table.ts";
import { ID_RG, NODE_RG, SUB, uaiId } from "./mic-fixtures.ts";

export const TEST_TIMING: Partial<ReconcileTiming> = {
  pollIntervalMs: 2_000, minPollMs: 500, graceMs: 1_000, retryBaseMs: 5_000, retryCapMs: 60_000,
  coalesceQuietMs: 1_000, coalesceMaxMs: 4_000,
};

const credential: TokenCredential = { getToken: () => Promise.resolve({ token: "mic-test-token", expiresOnTimestamp: Date.now() + 3_600_000 }) };

export interface MicTestApp {
  kit: CapturedApp;
  arm: ArmPeer;
  azurite: AzuriteHandle;
  publisher: RecordingPublisher;
  deps: MicDeps;
  clusters: string[];
  host: DurableHost;
  /** The durable host's instance store (messages, histories). */
  durableStore: MemoryStore;
  /** Restarts the durable host on the same store (in-flight activities abandoned). */
  restartHost(): Promise<void>;
  /** Delivers one mic-events message through the micEvents trigger. */
  send(cluster: string, kind: string, object: unknown, op?: "upsert" | "delete"): Promise<IngestOutcome>;
  sendBody(body: unknown, sessionId: string, messageId?: string): Promise<IngestOutcome>;
  /** Advances the virtual clock until no orchestration is running (or `maxMs` passed). */
  settle(maxMs?: number): Promise<number>;
  instanceId(cluster: string, hostId: string): string;
  stop(): Promise<void>;
}

export interface MicTestAppOptions {
  arm?: Partial<StartArmPeerOptions>;
  timing?: Partial<ReconcileTiming>;
  immutable?: string;
  /** Durable host clock: virtual (tests, default) or real (the burst benchmark). */
  clock?: "virtual" | "real";
  /** Overrides of the app settings (scope guard tests). */
  env?: Record<string, string>;
}

export async function startMicTestApp(o: MicTestAppOptions = {}): Promise<MicTestApp> {
  const kit = installFunctionsCore();
  const { registerMicApp } = await import("../../functions/app.ts");
  const pki = testPki();
  const arm = await startArmPeer({ cert: pki.cert, key: pki.key, operationDurationMs: 0, ...o.arm });
  const azurite = await startAzurite();
  const env = {
    AzureWebJobsStorage: azurite.connectionString,
    PODID_NODE_RESOURCE_GROUPS: `/subscriptions/${SUB}/resourceGroups/${NODE_RG}`,
    PODID_ALLOWED_IDENTITY_SCOPES: `/subscriptions/${SUB}/resourceGroups/${ID_RG}`,
    PODID_IMMUTABLE_IDENTITIES: o.immutable ?? "",
    PODID_ARM_ENDPOINT: arm.url,
    PODID_ARM_SCOPE: "https://management.azure.com/.default",
    PODID_STATE_TABLE: `mic${randomUUID().replaceAll("-", "").slice(0, 12)}`,
    ...o.env,
  };
  const settings = loadSettings(env);
  const table = stateTableClient(env, settings.stateTable);
  const publisher = new RecordingPublisher();
  const clusters: string[] = [];
  const deps: MicDeps = {
    settings,
    store: await createTablesStateStore(table, { settings: { forceNamespaced: false } }),
    arm: createComputeHosts({ endpoint: settings.arm.endpoint, scope: settings.arm.scope, credential }),
    publisher,
    clusters: { listClusters: () => staticClusterDirectory(clusters).listClusters() },
    logger: pino({ level: process.env.PODID_TEST_LOG ?? "silent" }),
  };
  const store = new MemoryStore();
  const clock = o.clock ?? "virtual";
  let host = await startDurableHost({ app: kit, store, clock });
  registerMicApp({ deps: () => Promise.resolve(deps), timing: { ...TEST_TIMING, ...o.timing }, now: () => host.now() });

  const sendBody = async (body: unknown, sessionId: string, messageId = randomUUID()): Promise<IngestOutcome> => {
    const res = await kit.invoke("micEvents", {
      ...serviceBusMessage({ body, sessionId, messageId, contentType: "application/json" }),
      inputs: { durableClient: host.durableClientInput() },
    });
    return res.result as IngestOutcome;
  };

  return {
    kit, arm, azurite, publisher, deps, clusters, durableStore: store,
    get host() { return host; },
    async restartHost() {
      const at = host.now();
      await host.stop({ abandonInFlight: true });
      host = await startDurableHost({ app: kit, store, clock, ...(clock === "virtual" ? { virtualStart: at } : {}) });
    },
    send: (cluster, kind, object, op = "upsert") => {
      if (!clusters.includes(cluster)) clusters.push(cluster);
      return sendBody({ v: 1, cluster, kind, op, object }, cluster);
    },
    sendBody,
    async settle(maxMs = 60 * 60_000) {
      let advanced = 0;
      for (;;) {
        await host.runUntilIdle();
        const live = await host.listStatus({ runtimeStatus: ["Running", "Pending"] });
        if (live.length === 0 || advanced >= maxMs) return advanced;
        await host.advance(1_000);
        advanced += 1_000;
      }
    },
    instanceId: (cluster, hostId) => reconcileInstanceId(cluster, hostId),
    async stop() {
      await host.stop();
      await arm.close();
      await azurite.stop();
    },
  };
}

export interface ClusterObjects {
  identities?: AzureIdentity[];
  bindings?: AzureIdentityBinding[];
  nodes?: Node[];
  pods?: Pod[];
}

/** Sends identities, bindings, nodes, then pods (the order a forwarder's snapshot would). */
export async function sendAll(app: MicTestApp, cluster: string, objs: ClusterObjects): Promise<void> {
  for (const i of objs.identities ?? []) await app.send(cluster, "AzureIdentity", i);
  for (const b of objs.bindings ?? []) await app.send(cluster, "AzureIdentityBinding", b);
  for (const n of objs.nodes ?? []) await app.send(cluster, "Node", n);
  for (const p of objs.pods ?? []) await app.send(cluster, "Pod", p);
}

/** Sends everything as one single-part snapshot: one ingest, one poke per host, one plan. */
export function sendSnapshot(app: MicTestApp, cluster: string, objs: ClusterObjects, snapshotId = randomUUID().slice(0, 8)): Promise<IngestOutcome> {
  if (!app.clusters.includes(cluster)) app.clusters.push(cluster);
  const objects = [
    ...(objs.identities ?? []).map((object) => ({ kind: "AzureIdentity", object })),
    ...(objs.bindings ?? []).map((object) => ({ kind: "AzureIdentityBinding", object })),
    ...(objs.nodes ?? []).map((object) => ({ kind: "Node", object })),
    ...(objs.pods ?? []).map((object) => ({ kind: "Pod", object })),
  ];
  return app.sendBody({ v: 1, cluster, kind: "Snapshot", snapshotId, part: 1, parts: 1, objects }, cluster);
}

let identitySeq = 0;
/** Registers a user-assigned identity with the ARM peer; returns its resource id. */
export function armIdentity(arm: ArmPeer, name: string): string {
  const id = uaiId(name);
  identitySeq += 1;
  const hex = identitySeq.toString(16).padStart(12, "0");
  arm.addIdentity({ resourceId: id, clientId: `00000000-0000-4000-8000-${hex}`, principalId: `11111111-0000-4000-8000-${hex}` });
  return id;
}
