// Informers (client-node ListWatch with selectors) feeding the NmiStore. ListWatch 1.4 stops
// for good on any error other than 410, so each informer restarts itself with backoff; the
// store counts a kind as synced after its first successful list.
import { CoreV1Api, CustomObjectsApi, ListWatch, Watch, type KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { z } from "zod";
import {
  AzureAssignedIdentitySchema,
  AzureIdentityBindingSchema,
  AzureIdentitySchema,
  AzurePodIdentityExceptionSchema,
  CRD_GROUP,
  CRD_VERSION,
  NODENAME_LABEL,
  PLURALS,
  PodSchema,
} from "../../core/index.ts";
import type { Kind, NmiStore } from "./store.ts";

const ListSchema = z.looseObject({
  metadata: z.looseObject({ resourceVersion: z.string().optional() }).optional(),
  items: z.array(z.looseObject({ metadata: z.looseObject({ name: z.string().optional(), namespace: z.string().optional() }) })).default([]),
});
type RawList = { metadata?: { resourceVersion?: string }; items: KubernetesObject[] };

interface InformerSpec {
  kind: Kind;
  path: string;
  list: () => Promise<unknown>;
  labelSelector?: string;
  fieldSelector?: string;
  schema: z.ZodType<{ metadata: { name: string; namespace?: string | undefined } }>;
}

export interface InformerOptions {
  kubeConfig: KubeConfig;
  store: NmiStore;
  logger: Logger;
  nodeName: string;
  namespace: string | undefined;
  backoffMs: number;
  backoffMaxMs: number;
}

function specs(o: InformerOptions): InformerSpec[] {
  const core = o.kubeConfig.makeApiClient(CoreV1Api);
  const custom = o.kubeConfig.makeApiClient(CustomObjectsApi);
  const crd = (plural: string, namespace: string | undefined, labelSelector?: string): Pick<InformerSpec, "path" | "list"> => ({
    path: namespace === undefined ? `/apis/${CRD_GROUP}/${CRD_VERSION}/${plural}` : `/apis/${CRD_GROUP}/${CRD_VERSION}/namespaces/${namespace}/${plural}`,
    list: (): Promise<unknown> => {
      const base = { group: CRD_GROUP, version: CRD_VERSION, plural, ...(labelSelector === undefined ? {} : { labelSelector }) };
      return namespace === undefined
        ? (custom.listClusterCustomObject(base) as Promise<unknown>)
        : (custom.listNamespacedCustomObject({ ...base, namespace }) as Promise<unknown>);
    },
  });
  const fieldSelector = `spec.nodeName=${o.nodeName}`;
  const labelSelector = `${NODENAME_LABEL}=${o.nodeName}`;
  return [
    {
      kind: "pods",
      path: "/api/v1/pods",
      fieldSelector,
      // The typed client turns timestamps into Dates; a JSON round trip gives the wire shape
      // that watch events have, so one schema validates both.
      list: async () => JSON.parse(JSON.stringify(await core.listPodForAllNamespaces({ fieldSelector }))) as unknown,
      schema: PodSchema,
    },
    // Assignments live in `default` or the identity's namespace: always watched cluster-wide.
    { kind: "assigned", ...crd(PLURALS.AzureAssignedIdentity, undefined, labelSelector), labelSelector, schema: AzureAssignedIdentitySchema },
    { kind: "identities", ...crd(PLURALS.AzureIdentity, o.namespace), schema: AzureIdentitySchema },
    { kind: "bindings", ...crd(PLURALS.AzureIdentityBinding, o.namespace), schema: AzureIdentityBindingSchema },
    { kind: "exceptions", ...crd(PLURALS.AzurePodIdentityException, o.namespace), schema: AzurePodIdentityExceptionSchema },
  ];
}

class ResilientInformer {
  private readonly lw: ListWatch<KubernetesObject>;
  private stopped = false;
  private listed = false;
  private backoff: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly spec: InformerSpec, private readonly o: InformerOptions) {
    this.backoff = o.backoffMs;
    const list = async (): Promise<RawList> => {
      const parsed = ListSchema.parse(await spec.list());
      this.listed = true;
      this.backoff = this.o.backoffMs;
      return parsed as RawList;
    };
    this.lw = new ListWatch(spec.path, new Watch(o.kubeConfig), list, false, spec.labelSelector, spec.fieldSelector);
    this.lw.on("add", (obj) => this.apply(obj));
    this.lw.on("update", (obj) => this.apply(obj));
    this.lw.on("delete", (obj) => o.store.remove(spec.kind, obj.metadata?.namespace, obj.metadata?.name ?? ""));
    this.lw.on("error", (err?: unknown) => this.onError(err));
  }

  private apply(obj: KubernetesObject): void {
    const parsed = this.spec.schema.safeParse(obj);
    const ns = obj.metadata?.namespace;
    const name = obj.metadata?.name ?? "";
    if (!parsed.success) {
      this.o.logger.warn({ kind: this.spec.kind, namespace: ns, name }, "ignoring invalid object");
      this.o.store.remove(this.spec.kind, ns, name);
      return;
    }
    if (this.spec.kind === "pods" && (obj as { spec?: { nodeName?: string } }).spec?.nodeName !== this.o.nodeName) {
      this.o.store.remove("pods", ns, name);
      return;
    }
    // Each schema's output is the store's type for that kind.
    this.o.store.upsert(this.spec.kind, parsed.data as never);
  }

  private onError(err: unknown): void {
    if (this.stopped) return;
    const message = err instanceof Error ? err.message : String(err);
    this.o.logger.warn({ kind: this.spec.kind, err: message, retryInMs: this.backoff }, "informer failed; restarting");
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.stopped) return;
    const delay = this.backoff;
    this.backoff = Math.min(this.o.backoffMaxMs, this.backoff * 2);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run();
    }, delay);
  }

  /** One (re)start: list if needed, then watch. Errors arrive through the error callback. */
  async run(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.lw.start();
    } catch (err) {
      this.onError(err);
    }
    if (this.listed) this.o.store.markSynced(this.spec.kind);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.lw.stop();
  }
}

export interface Informers {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createInformers(o: InformerOptions): Informers {
  const informers = specs(o).map((s) => new ResilientInformer(s, o));
  return {
    async start() {
      await Promise.all(informers.map((i) => i.run()));
    },
    async stop() {
      await Promise.all(informers.map((i) => i.stop()));
    },
  };
}

export const ALL_KINDS: readonly Kind[] = ["pods", "assigned", "identities", "bindings", "exceptions"];
