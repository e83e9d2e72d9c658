// Informers for everything the MIC needs: Pods carrying `aadpodidbinding`, Nodes, and the
// AzureIdentity / AzureIdentityBinding / AzurePodIdentityException CRDs in all namespaces.
//
// client-node 1.4.0's ListWatch relists by itself on 410 Gone (HTTP status or ERROR event) and
// re-watches when a stream ends, but on any other error it only calls `error` callbacks and
// stops. We restart it with capped backoff. Watches ask for BOOKMARK events (ListWatch does not
// send `allowWatchBookmarks`), so a reconnect resumes from a recent resourceVersion.
import {
  CoreV1Api, CustomObjectsApi, ListWatch, Watch,
  type KubeConfig, type KubernetesListObject, type KubernetesObject,
} from "@kubernetes/client-node";
import type { Logger } from "pino";
import { CRD_GROUP, CRD_VERSION, PLURALS, POD_BINDING_LABEL, WatchedKinds, type SnapshotItem, type WatchedKind } from "../core/index.ts";
import type { InformerChange } from "./event-mapper.ts";
import { toSnapshotItem } from "./event-mapper.ts";
import { Backoff, type BackoffOptions } from "./timing.ts";

/** Adds `allowWatchBookmarks=true` to every watch request ListWatch makes. */
export class BookmarkWatch extends Watch {
  override watch(...args: Parameters<Watch["watch"]>): ReturnType<Watch["watch"]> {
    const [path, query, callback, done] = args;
    return super.watch(path, { ...query, allowWatchBookmarks: true }, callback, done);
  }
}

export interface WatchTarget {
  kind: WatchedKind;
  path: string;
  labelSelector?: string;
  list: () => Promise<KubernetesListObject<KubernetesObject>>;
}

function isList(value: unknown): value is KubernetesListObject<KubernetesObject> {
  return typeof value === "object" && value !== null && Array.isArray((value as { items?: unknown }).items);
}

export function watchTargets(kc: KubeConfig): WatchTarget[] {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const crd = (kind: Exclude<WatchedKind, "Pod" | "Node">): WatchTarget => {
    const plural = PLURALS[kind];
    return {
      kind,
      path: `/apis/${CRD_GROUP}/${CRD_VERSION}/${plural}`,
      list: async () => {
        const body: unknown = await custom.listCustomObjectForAllNamespaces({ group: CRD_GROUP, version: CRD_VERSION, plural });
        if (!isList(body)) throw new Error(`list of ${plural} has no items array`);
        return body;
      },
    };
  };
  return [
    { kind: "Pod", path: "/api/v1/pods", labelSelector: POD_BINDING_LABEL, list: () => core.listPodForAllNamespaces({ labelSelector: POD_BINDING_LABEL }) },
    { kind: "Node", path: "/api/v1/nodes", list: () => core.listNode() },
    crd("AzureIdentity"),
    crd("AzureIdentityBinding"),
    crd("AzurePodIdentityException"),
  ];
}

export interface InformerSetOptions {
  kc: KubeConfig;
  targets?: WatchTarget[];
  retry: BackoffOptions;
  logger: Logger;
  onChange: (kind: WatchedKind, change: InformerChange, object: KubernetesObject) => void;
  /** Called once, when every informer finished its first list. */
  onSynced?: () => void;
  onRestart?: (kind: WatchedKind, error: unknown) => void;
}

class ManagedInformer {
  readonly informer: ListWatch<KubernetesObject>;
  synced = false;
  private errored = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly backoff: Backoff;

  constructor(readonly target: WatchTarget, private readonly o: InformerSetOptions, private readonly onSync: () => void) {
    this.backoff = new Backoff({ jitter: 0.2, ...o.retry });
    this.informer = new ListWatch(target.path, new BookmarkWatch(o.kc), target.list, false, target.labelSelector);
    const forward = (change: InformerChange) => (obj: KubernetesObject) => {
      this.backoff.reset();
      o.onChange(target.kind, change, obj);
    };
    this.informer.on("add", forward("add"));
    this.informer.on("update", forward("update"));
    this.informer.on("delete", forward("delete"));
    this.informer.on("error", (err: unknown) => this.onError(err));
  }

  async start(): Promise<void> {
    if (this.stopped) return;
    this.errored = false;
    await this.informer.start();
    // start() resolves after the list and the watch request; an error in between was reported.
    if (!this.errored && !this.stopped) {
      this.backoff.reset();
      if (!this.synced) {
        this.synced = true;
        this.onSync();
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.informer.stop();
  }

  private onError(err: unknown): void {
    this.errored = true;
    if (this.stopped) return; // aborting the stream on stop() surfaces as an error; ignore it
    const delay = this.backoff.next();
    this.o.logger.warn({ kind: this.target.kind, err, retryInMs: delay }, "watch failed; restarting informer");
    this.o.onRestart?.(this.target.kind, err);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.start().catch((e: unknown) => this.onError(e));
    }, delay);
  }
}

/** All informers of one leadership term; `capture()` builds snapshot items from their caches. */
export class InformerSet {
  private readonly informers: ManagedInformer[];
  private syncedNotified = false;

  constructor(private readonly o: InformerSetOptions) {
    const targets = o.targets ?? watchTargets(o.kc);
    this.informers = targets.map((t) => new ManagedInformer(t, o, () => this.checkSynced()));
  }

  async start(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.start().catch((e: unknown) => this.o.logger.error({ err: e, kind: i.target.kind }, "informer start failed"))));
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  get synced(): boolean {
    return this.informers.every((i) => i.synced);
  }

  /** Snapshot items from the caches, or undefined while any informer has not synced yet. */
  capture(): SnapshotItem[] | undefined {
    if (!this.synced) return undefined;
    const items: SnapshotItem[] = [];
    for (const kind of WatchedKinds) {
      for (const i of this.informers.filter((x) => x.target.kind === kind)) {
        for (const obj of i.informer.list()) {
          const item = toSnapshotItem(kind, obj);
          if (item) items.push(item);
        }
      }
    }
    return items;
  }

  private checkSynced(): void {
    if (!this.syncedNotified && this.synced) {
      this.syncedNotified = true;
      this.o.onSynced?.();
    }
  }
}
