// NMI's view of the cluster, fed by the informers: validated objects by namespace/name, a pod
// index by IP, and a change signal that wakes waiting requests at once.
import {
  isActivePod,
  podIps,
  podKey,
  type AzureAssignedIdentity,
  type AzureIdentity,
  type AzureIdentityBinding,
  type AzurePodIdentityException,
  type IdentityLookup,
  type Pod,
} from "../../core/index.ts";

export type Kind = "pods" | "assigned" | "identities" | "bindings" | "exceptions";

interface KindMap {
  pods: Pod;
  assigned: AzureAssignedIdentity;
  identities: AzureIdentity;
  bindings: AzureIdentityBinding;
  exceptions: AzurePodIdentityException;
}

/** Read-only view handed to tests and to the request pipeline. */
export interface NmiStateView {
  readonly version: number;
  synced(): boolean;
  pods(): Pod[];
  podsByIp(ip: string): Pod[];
  isHostNetworkIp(ip: string): boolean;
  pod(namespace: string, name: string): Pod | undefined;
  assigned(): AzureAssignedIdentity[];
  /** Assignments naming this pod (indexed: the per-request path must not scan them all). */
  assignedForPod(namespace: string, name: string): AzureAssignedIdentity[];
  identities(): AzureIdentity[];
  /** Bindings whose selector equals `selector` (indexed). */
  bindingsForSelector(selector: string): AzureIdentityBinding[];
  bindings(namespace?: string): AzureIdentityBinding[];
  exceptions(namespace?: string): AzurePodIdentityException[];
  identityLookup(): IdentityLookup;
  /** resourceVersion of an object as NMI currently sees it (tests wait on it). */
  objectVersion(kind: Kind, namespace: string | undefined, name: string): string | undefined;
  /**
   * Resolves on the next change (or immediately if `since` is older than the current version),
   * or when `signal` aborts — which also drops the waiter, so a request that stops waiting
   * leaves nothing behind on a quiet store.
   */
  changed(since: number, signal?: AbortSignal): Promise<void>;
  /** Waiters registered with changed() and not yet woken or aborted. */
  readonly waiting: number;
}

export class NmiStore implements NmiStateView {
  private readonly maps: { [K in Kind]: Map<string, KindMap[K]> } = {
    pods: new Map(),
    assigned: new Map(),
    identities: new Map(),
    bindings: new Map(),
    exceptions: new Map(),
  };
  private readonly byIp = new Map<string, Set<string>>();
  private readonly hostNetworkIps = new Map<string, Set<string>>();
  /** pod key → where it is indexed, so updates unindex in O(its IPs). */
  private readonly indexedAs = new Map<string, { ips: string[]; target: Map<string, Set<string>> }>();
  /** Secondary indexes: pod key → assignment keys, selector → binding keys. */
  private readonly aaiByPod = new Map<string, Set<string>>();
  private readonly bindingsBySelector = new Map<string, Set<string>>();
  private readonly syncedKinds = new Set<Kind>();
  private current = 0;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly required: readonly Kind[], private readonly onPodsIndexed?: (n: number) => void) {}

  get version(): number {
    return this.current;
  }

  upsert<K extends Kind>(kind: K, obj: KindMap[K]): void {
    const key = podKey(obj.metadata.namespace, obj.metadata.name);
    this.unindexSecondary(kind, key);
    if (kind === "pods") this.unindex(key);
    (this.maps[kind] as Map<string, KindMap[K]>).set(key, obj);
    if (kind === "pods") this.index(key, obj as Pod);
    this.indexSecondary(kind, key);
    this.bump();
  }

  remove(kind: Kind, namespace: string | undefined, name: string): void {
    const key = podKey(namespace, name);
    this.unindexSecondary(kind, key);
    if (kind === "pods") this.unindex(key);
    if (this.maps[kind].delete(key)) this.bump();
  }

  private secondaryKey(kind: Kind, key: string): { index: Map<string, Set<string>>; value: string } | undefined {
    if (kind === "assigned") {
      const a = this.maps.assigned.get(key);
      return a && { index: this.aaiByPod, value: podKey(a.spec.podNamespace, a.spec.pod) };
    }
    if (kind === "bindings") {
      const b = this.maps.bindings.get(key);
      return b && { index: this.bindingsBySelector, value: b.spec.selector };
    }
    return undefined;
  }

  private indexSecondary(kind: Kind, key: string): void {
    const s = this.secondaryKey(kind, key);
    if (!s) return;
    const set = s.index.get(s.value) ?? new Set<string>();
    set.add(key);
    s.index.set(s.value, set);
  }

  private unindexSecondary(kind: Kind, key: string): void {
    const s = this.secondaryKey(kind, key);
    const set = s?.index.get(s.value);
    if (s && set?.delete(key) && set.size === 0) s.index.delete(s.value);
  }

  markSynced(kind: Kind): void {
    this.syncedKinds.add(kind);
    this.bump();
  }

  synced(): boolean {
    return this.required.every((k) => this.syncedKinds.has(k));
  }

  private index(key: string, pod: Pod): void {
    if (!isActivePod(pod)) return;
    const target = pod.spec.hostNetwork === true ? this.hostNetworkIps : this.byIp;
    const ips = podIps(pod).map((ip) => ip.toLowerCase());
    for (const ip of ips) {
      const set = target.get(ip) ?? new Set<string>();
      set.add(key);
      target.set(ip, set);
    }
    this.indexedAs.set(key, { ips, target });
    this.onPodsIndexed?.(this.byIp.size);
  }

  private unindex(key: string): void {
    const entry = this.indexedAs.get(key);
    if (!entry) return;
    this.indexedAs.delete(key);
    for (const ip of entry.ips) {
      const set = entry.target.get(ip);
      if (set?.delete(key) && set.size === 0) entry.target.delete(ip);
    }
    this.onPodsIndexed?.(this.byIp.size);
  }

  private bump(): void {
    this.current++;
    const woken = [...this.waiters];
    this.waiters.clear();
    for (const w of woken) w();
  }

  changed(since: number, signal?: AbortSignal): Promise<void> {
    if (since !== this.current || signal?.aborted === true) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.waiters.delete(done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      this.waiters.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  /** Requests currently waiting for a change (tests: nothing may linger). */
  get waiting(): number {
    return this.waiters.size;
  }

  pods(): Pod[] {
    return [...this.maps.pods.values()];
  }

  podsByIp(ip: string): Pod[] {
    const keys = this.byIp.get(ip.toLowerCase());
    if (!keys) return [];
    return [...keys].map((k) => this.maps.pods.get(k)).filter((p): p is Pod => p !== undefined);
  }

  isHostNetworkIp(ip: string): boolean {
    return this.hostNetworkIps.has(ip.toLowerCase());
  }

  pod(namespace: string, name: string): Pod | undefined {
    return this.maps.pods.get(podKey(namespace, name));
  }

  assigned(): AzureAssignedIdentity[] {
    return [...this.maps.assigned.values()];
  }

  assignedForPod(namespace: string, name: string): AzureAssignedIdentity[] {
    const keys = this.aaiByPod.get(podKey(namespace, name));
    return keys ? [...keys].map((k) => this.maps.assigned.get(k)).filter((a): a is AzureAssignedIdentity => a !== undefined) : [];
  }

  bindingsForSelector(selector: string): AzureIdentityBinding[] {
    const keys = this.bindingsBySelector.get(selector);
    return keys ? [...keys].map((k) => this.maps.bindings.get(k)).filter((b): b is AzureIdentityBinding => b !== undefined) : [];
  }

  identities(): AzureIdentity[] {
    return [...this.maps.identities.values()];
  }

  bindings(namespace?: string): AzureIdentityBinding[] {
    const all = [...this.maps.bindings.values()];
    return namespace === undefined ? all : all.filter((b) => (b.metadata.namespace ?? "default") === namespace);
  }

  exceptions(namespace?: string): AzurePodIdentityException[] {
    const all = [...this.maps.exceptions.values()];
    return namespace === undefined ? all : all.filter((e) => (e.metadata.namespace ?? "default") === namespace);
  }

  objectVersion(kind: Kind, namespace: string | undefined, name: string): string | undefined {
    const o = this.maps[kind].get(podKey(namespace, name));
    return o === undefined ? undefined : (o.metadata.resourceVersion ?? "");
  }

  // One lookup object for the store's lifetime (it reads the live map): nothing allocated per request.
  private readonly lookup: IdentityLookup = { identity: (namespace, name) => this.maps.identities.get(podKey(namespace, name)) };

  identityLookup(): IdentityLookup {
    return this.lookup;
  }
}
