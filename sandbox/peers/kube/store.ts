// In-memory object store with one global resourceVersion counter (like etcd's revision) and a
// bounded event history that watches replay from. Compaction drops history, so watches from
// older resourceVersions must fail with 410 Expired.
import type { KubeObject } from "./types.ts";

export type EventType = "ADDED" | "MODIFIED" | "DELETED";
export interface StoreEvent {
  rv: number;
  key: string;
  type: EventType;
  object: KubeObject;
  /** The object before this event (MODIFIED/DELETED): watches with selectors need it. */
  prev?: KubeObject;
}

const id = (ns: string | undefined, name: string): string => `${ns ?? ""}/${name}`;

export class Store {
  // Starts well above 0: resourceVersion "0" means "any version" to a watch.
  private rv = 1000;
  private compactedRv = 1000;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private history: StoreEvent[] = [];
  private readonly listeners = new Set<(e: StoreEvent) => void>();

  constructor(private readonly historyLimit = 10000) {}

  currentRv(): number { return this.rv; }
  /** Watches may start from any resourceVersion >= this. */
  compactedAt(): number { return this.compactedRv; }

  get(key: string, ns: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(key)?.get(id(ns, name));
  }

  /** Objects of one resource (optionally one namespace), sorted by namespace/name like etcd keys. */
  list(key: string, ns?: string): KubeObject[] {
    const all = [...(this.objects.get(key)?.entries() ?? [])].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return all.map(([, o]) => o).filter((o) => ns === undefined || o.metadata.namespace === ns);
  }

  /** Stores a new or changed object under the next resourceVersion and emits its event. */
  write(key: string, obj: KubeObject): KubeObject {
    const rv = ++this.rv;
    const stored: KubeObject = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } };
    let m = this.objects.get(key);
    if (!m) { m = new Map<string, KubeObject>(); this.objects.set(key, m); }
    const k = id(stored.metadata.namespace, stored.metadata.name);
    const prev = m.get(k);
    m.set(k, stored);
    this.emit(prev ? { rv, key, type: "MODIFIED", object: stored, prev } : { rv, key, type: "ADDED", object: stored });
    return stored;
  }

  /** Removes an object; the DELETED event carries the deletion's resourceVersion, as etcd does. */
  /** `last` is the object's final state when a write deletes it (its last finalizer removed). */
  remove(key: string, ns: string | undefined, name: string, last?: KubeObject): KubeObject | undefined {
    const m = this.objects.get(key);
    const prev = m?.get(id(ns, name));
    if (!m || !prev) return undefined;
    m.delete(id(ns, name));
    const rv = ++this.rv;
    const base = last ?? prev;
    const object: KubeObject = { ...base, metadata: { ...base.metadata, resourceVersion: String(rv) } };
    this.emit({ rv, key, type: "DELETED", object, prev });
    return object;
  }

  /** Drops a whole resource (its CRD was deleted) without events, as the real server does. */
  dropResource(key: string): void { this.objects.delete(key); }

  /** Events after `rv` for one resource, or undefined when history no longer reaches back. */
  since(key: string, rv: number): StoreEvent[] | undefined {
    if (rv < this.compactedRv) return undefined;
    return this.history.filter((e) => e.rv > rv && e.key === key);
  }

  compact(): void {
    this.history = [];
    this.compactedRv = this.rv;
  }

  subscribe(fn: (e: StoreEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(e: StoreEvent): void {
    this.history.push(e);
    while (this.history.length > this.historyLimit) {
      const dropped = this.history.shift();
      if (dropped) this.compactedRv = dropped.rv;
    }
    for (const fn of [...this.listeners]) fn(e);
  }
}
