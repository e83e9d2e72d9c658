// Fakes of the forwarder's own interfaces (BatchSender, AssignedIdentityStore, LeaseStore,
// SessionAcceptor) for unit tests, plus small builders and a polling wait.
import type { ServiceBusMessage } from "@azure/service-bus";
import { pino, type Logger } from "pino";
import type { AzureAssignedIdentity, MicCommand } from "../../core/index.ts";
import type { AssignedIdentityStore } from "../../forwarder/assigned-identity-store.ts";
import type { BatchSender, OutgoingBatch } from "../../forwarder/event-pump.ts";
import type { LeaseStore, LeaseWrite, StoredLease } from "../../forwarder/lease-store.ts";

export const silentLogger = (): Logger => pino({ level: "silent" });

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 5000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** An error shaped like client-node's ApiException. */
export function apiError(code: number, message = `HTTP ${code}`): Error & { code: number; body: string } {
  return Object.assign(new Error(message), { code, body: JSON.stringify({ kind: "Status", code, message }) });
}

export class FakeBatch implements OutgoingBatch {
  readonly messages: ServiceBusMessage[] = [];
  constructor(private readonly capacity: number) {}
  tryAddMessage(message: ServiceBusMessage): boolean {
    if (this.messages.length >= this.capacity) return false;
    this.messages.push(message);
    return true;
  }
  get count(): number {
    return this.messages.length;
  }
}

export class FakeSender implements BatchSender<FakeBatch> {
  readonly batches: ServiceBusMessage[][] = [];
  failures = 0;
  attempts = 0;
  /** 1-based send attempts that fail (in addition to `failures`). */
  readonly failAttempts = new Set<number>();
  constructor(public capacity = 100) {}
  async createMessageBatch(): Promise<FakeBatch> {
    return new FakeBatch(this.capacity);
  }
  async sendMessages(batch: FakeBatch): Promise<void> {
    this.attempts += 1;
    if (this.failures > 0 || this.failAttempts.has(this.attempts)) {
      if (this.failures > 0) this.failures -= 1;
      throw Object.assign(new Error("service unavailable"), { code: "ServiceCommunicationProblem" });
    }
    this.batches.push([...batch.messages]);
  }
  get messages(): ServiceBusMessage[] {
    return this.batches.flat();
  }
}

export type StoreOp = "get" | "create" | "replace" | "replaceStatus" | "delete";

/** In-memory AzureAssignedIdentity store with resourceVersions and injectable failures. */
export class FakeAssignedIdentityStore implements AssignedIdentityStore {
  readonly objects = new Map<string, AzureAssignedIdentity>();
  readonly calls: StoreOp[] = [];
  /** Errors thrown by the next calls of an operation, in order. */
  readonly inject = new Map<StoreOp, Error[]>();
  private rv = 0;

  private fail(op: StoreOp): void {
    this.calls.push(op);
    const err = this.inject.get(op)?.shift();
    if (err) throw err;
  }
  private stamp(o: AzureAssignedIdentity): AzureAssignedIdentity {
    const copy = structuredClone(o);
    copy.metadata.resourceVersion = String(++this.rv);
    copy.metadata.uid ??= `uid-${copy.metadata.name}`;
    this.objects.set(`${copy.metadata.namespace ?? ""}/${copy.metadata.name}`, copy);
    return structuredClone(copy);
  }
  private current(ns: string, name: string, rv?: string): AzureAssignedIdentity {
    const cur = this.objects.get(`${ns}/${name}`);
    if (!cur) throw apiError(404);
    if (rv !== undefined && cur.metadata.resourceVersion !== rv) throw apiError(409, "the object has been modified");
    return cur;
  }
  put(o: AzureAssignedIdentity): AzureAssignedIdentity {
    return this.stamp(o);
  }
  async get(ns: string, name: string): Promise<AzureAssignedIdentity | undefined> {
    this.fail("get");
    const cur = this.objects.get(`${ns}/${name}`);
    return cur ? structuredClone(cur) : undefined;
  }
  async create(ns: string, body: AzureAssignedIdentity): Promise<AzureAssignedIdentity> {
    this.fail("create");
    if (this.objects.has(`${ns}/${body.metadata.name}`)) throw apiError(409, "already exists");
    const { status: _ignored, ...rest } = body; // status subresource: ignored on create
    return this.stamp({ ...rest, metadata: { ...body.metadata, namespace: ns } });
  }
  async replace(ns: string, name: string, body: AzureAssignedIdentity): Promise<AzureAssignedIdentity> {
    this.fail("replace");
    const cur = this.current(ns, name, body.metadata.resourceVersion);
    const next = { ...body, status: cur.status } as AzureAssignedIdentity;
    if (next.status === undefined) delete next.status;
    if (cur.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
      this.objects.delete(`${ns}/${name}`);
      return structuredClone(next);
    }
    return this.stamp(next);
  }
  async replaceStatus(ns: string, name: string, body: AzureAssignedIdentity): Promise<AzureAssignedIdentity> {
    this.fail("replaceStatus");
    const cur = this.current(ns, name, body.metadata.resourceVersion);
    const next: AzureAssignedIdentity = { ...cur };
    if (body.status !== undefined) next.status = body.status;
    return this.stamp(next);
  }
  async delete(ns: string, name: string): Promise<void> {
    this.fail("delete");
    const cur = this.objects.get(`${ns}/${name}`);
    if (!cur) return;
    if ((cur.metadata.finalizers ?? []).length > 0) {
      this.stamp({ ...cur, metadata: { ...cur.metadata, deletionTimestamp: "2024-01-01T00:00:00Z" } });
      return;
    }
    this.objects.delete(`${ns}/${name}`);
  }
}

export function aai(name = "web-0-shop-web-id", over: Partial<AzureAssignedIdentity["spec"]> = {}, status?: string): AzureAssignedIdentity {
  const o: AzureAssignedIdentity = {
    metadata: { name, namespace: "default" },
    spec: { pod: "web-0", podNamespace: "shop", nodename: "n1", ...over },
  };
  if (status !== undefined) o.status = { status };
  return o;
}

export function command(op: "apply" | "delete", assigned: AzureAssignedIdentity, cluster = "c1"): MicCommand {
  return { v: 1, cluster, op, assignedIdentity: assigned };
}

/** In-memory Lease with optimistic concurrency, shared by several electors. */
export class FakeLeaseStore implements LeaseStore {
  lease: StoredLease | undefined;
  private rv = 0;
  down = false;
  async get(): Promise<StoredLease | undefined> {
    if (this.down) throw apiError(503);
    return this.lease ? { ...this.lease } : undefined;
  }
  async create(w: LeaseWrite): Promise<StoredLease> {
    if (this.down) throw apiError(503);
    if (this.lease) throw apiError(409, "already exists");
    this.lease = { ...w, resourceVersion: String(++this.rv) };
    return { ...this.lease };
  }
  async replace(resourceVersion: string, w: LeaseWrite): Promise<StoredLease> {
    if (this.down) throw apiError(503);
    if (!this.lease) throw apiError(404);
    if (this.lease.resourceVersion !== resourceVersion) throw apiError(409, "conflict");
    this.lease = { ...w, resourceVersion: String(++this.rv) };
    return { ...this.lease };
  }
}
