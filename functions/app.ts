// Registers the MIC's functions (DESIGN §5) with the Functions host: the micEvents Service Bus
// trigger, the reconcileHost orchestration and its activities, the resync timer and the HTTP
// status/resync API. Dependencies are resolved lazily, once, on first use: registration must
// not fail (the host would list no functions at all), while a bad setting fails each
// invocation with a message naming it.
import { EVENTS_QUEUE, ClusterNameSchema } from "../core/index.ts";
import { MalformedMessageError } from "./servicebus/malformed.ts";
import { app, df, durableClientOf } from "./runtime.ts";
import type { HttpRequest, HttpResponseInit, InvocationContext } from "./runtime.ts";
import { getHostActivity, pollOperationActivity, startUpdateActivity } from "./mic/activities/arm-activities.ts";
import { hostGenerationActivity, loadHostActivity, markReconciledActivity, recordPodidAssignedActivity } from "./mic/activities/host-activities.ts";
import { publishStatusesActivity } from "./mic/activities/publish-statuses.ts";
import type { MicDeps } from "./mic/deps.ts";
import { ingest, type IngestOutcome } from "./mic/ingest.ts";
import { Activity, ORCHESTRATION } from "./mic/orchestration/contracts.ts";
import { reconcileHostOrchestrator } from "./mic/orchestration/reconcile-host.ts";
import { withTiming, type ReconcileTiming } from "./mic/orchestration/timing.ts";
import { forceResync, resyncAllClusters } from "./mic/resync.ts";
import { clusterStatus } from "./mic/status.ts";
import { DEFAULT_RESYNC_SCHEDULE } from "./settings.ts";

export const FunctionNames = {
  Events: "micEvents",
  Orchestration: ORCHESTRATION,
  ResyncTimer: "micResync",
  StatusApi: "micClusterStatus",
  ResyncApi: "micClusterResync",
  ...Activity,
} as const;

export interface MicAppOptions {
  /** Builds the dependencies; called once, on the first invocation that needs them. */
  deps: () => Promise<MicDeps>;
  timing?: Partial<ReconcileTiming>;
  /** NCRONTAB of the resync timer (default every 5 minutes). */
  resyncSchedule?: string;
  /** Clock for the timer and HTTP functions (tests); orchestrations use the durable clock. */
  now?: () => Date;
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => {
    p ??= make().catch((e: unknown) => { p = undefined; throw e; });
    return p;
  };
}

const json = (status: number, body: unknown): HttpResponseInit => ({ status, jsonBody: body, headers: { "content-type": "application/json" } });

function clusterParam(req: HttpRequest): { cluster: string } | { error: HttpResponseInit } {
  const parsed = ClusterNameSchema.safeParse(req.params.cluster);
  if (!parsed.success) return { error: json(400, { error: "PODID_MIC_INVALID_CLUSTER", message: "the cluster name in the route is not valid" }) };
  return { cluster: parsed.data };
}

export function registerMicApp(options: MicAppOptions): void {
  const deps = once(options.deps);
  const timing = withTiming(options.timing);
  const now = options.now ?? (() => new Date());
  const activity = <I, O>(name: string, fn: (d: MicDeps, input: I) => Promise<O>): void => {
    df.app.activity(name, { handler: async (input: unknown) => fn(await deps(), input as I) });
  };

  app.serviceBusQueue(FunctionNames.Events, {
    connection: "ServiceBusConnection",
    queueName: EVENTS_QUEUE,
    // One message per invocation, in session order; a bad message is abandoned until the
    // broker dead-letters it (docs/adr/0002-dead-lettering-in-micEvents.md).
    isSessionsEnabled: true,
    extraInputs: [df.input.durableClient()],
    handler: async (message: unknown, context: InvocationContext): Promise<IngestOutcome> => {
      const meta = context.triggerMetadata ?? {};
      const sessionId = typeof meta.sessionId === "string" ? meta.sessionId : undefined;
      const d = await deps();
      const outcome = await ingest(message, sessionId, { store: d.store, client: durableClientOf(context), logger: d.logger });
      if (!outcome.ok) {
        const messageId = typeof meta.messageId === "string" ? meta.messageId : undefined;
        d.logger.warn({ messageId, deliveryCount: meta.deliveryCount, reason: outcome.reason, description: outcome.description }, "mic: rejected mic-events message");
        throw new MalformedMessageError(outcome.reason, outcome.description, messageId);
      }
      return outcome;
    },
  });

  df.app.orchestration(FunctionNames.Orchestration, reconcileHostOrchestrator(timing));
  activity(Activity.HostGeneration, hostGenerationActivity);
  activity(Activity.LoadHost, loadHostActivity);
  activity(Activity.GetHost, getHostActivity);
  activity(Activity.RecordPodidAssigned, recordPodidAssignedActivity);
  activity(Activity.StartUpdate, startUpdateActivity);
  activity(Activity.PollOperation, pollOperationActivity);
  activity(Activity.PublishStatuses, publishStatusesActivity);
  activity(Activity.MarkReconciled, markReconciledActivity);

  app.timer(FunctionNames.ResyncTimer, {
    schedule: options.resyncSchedule ?? DEFAULT_RESYNC_SCHEDULE,
    extraInputs: [df.input.durableClient()],
    handler: async (_timer: unknown, context: InvocationContext) => {
      const d = await deps();
      const results = await resyncAllClusters(d, durableClientOf(context), now().getTime(), timing.failedHostRetryMs);
      const poked = results.flatMap((r) => r.poked);
      if (poked.length > 0) d.logger.info({ clusters: results.length, poked: poked.length }, "mic: resync poked hosts");
    },
  });

  app.http(FunctionNames.StatusApi, {
    methods: ["GET"], authLevel: "function", route: "clusters/{cluster}/status",
    extraInputs: [df.input.durableClient()],
    handler: async (req: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
      const p = clusterParam(req);
      if ("error" in p) return p.error;
      const live = ["1", "true"].includes(req.query.get("live") ?? "");
      const status = await clusterStatus(await deps(), p.cluster, { client: durableClientOf(context), live, now: now() });
      return status ? json(200, status) : json(404, { error: "PODID_MIC_CLUSTER_NOT_FOUND", message: `no state for cluster '${p.cluster}'` });
    },
  });

  app.http(FunctionNames.ResyncApi, {
    methods: ["POST"], authLevel: "function", route: "clusters/{cluster}/resync",
    extraInputs: [df.input.durableClient()],
    handler: async (req: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
      const p = clusterParam(req);
      if ("error" in p) return p.error;
      const outcome = await forceResync(await deps(), durableClientOf(context), p.cluster);
      if (outcome.hosts === 0) return json(404, { error: "PODID_MIC_CLUSTER_NOT_FOUND", message: `no hosts known for cluster '${p.cluster}'` });
      return json(202, outcome);
    },
  });
}
