// The ARM peer as tests and the sandbox drive it: Compute hosts with user-assigned identities
// behind an HTTPS ARM front end, plus hooks to shape state, permissions, timing and faults.
import { Faults, type RequestFilter, type ScriptedArmError } from "./faults.ts";
import type { ArmContext } from "./handlers.ts";
import { identityTypeOf } from "./identity-patch.ts";
import { Operations } from "./operations.ts";
import { ArmRegistry } from "./registry.ts";
import { hostKeyOf, keyOf } from "./resource-ids.ts";
import { listenArm } from "./server.ts";
import type { ArmErrorDetail, ArmLogEntry, HostKind, HostSpec, IdentityRecord, ScaleSetSpec } from "./types.ts";

export interface StartArmPeerOptions {
  cert: string;
  key: string;
  port?: number;
  address?: string;
  /** Tenant shown for system-assigned identities. */
  tenantId?: string;
  /** How long an identity update runs (default 200 ms); `undefined` holds it until released. */
  operationDurationMs?: number | undefined;
  /** Second write while one is in flight: 409 Conflict (default) or preempt the first. */
  concurrentWrites?: "conflict" | "preempt";
  /** `Retry-After` on LRO answers (default 0, so SDK pollers use their own interval). */
  retryAfterSeconds?: number;
  /** Extra bearer-token check (default: any bearer token is accepted). */
  acceptToken?: (token: string) => boolean;
}

export interface HostSnapshot {
  id: string;
  kind: HostKind;
  identityType: string;
  systemAssigned: boolean;
  userAssignedIdentities: string[];
  instances: string[];
  provisioningState: "Succeeded" | "Updating";
  deleting: boolean;
}

export interface ArmPeer {
  /** `https://127.0.0.1:<port>`: the client's `endpoint`. */
  readonly url: string;
  addIdentity(identity: IdentityRecord): void;
  removeIdentity(resourceId: string): void;
  addScaleSet(spec: ScaleSetSpec): string;
  addVm(spec: HostSpec): string;
  deleteHost(id: string): void;
  markDeleting(id: string, deleting?: boolean): void;
  /** Applied user-assigned identities of a VM, VMSS, VMSS instance or providerID (IMDS's source). */
  identitiesOf(hostOrInstanceId: string): IdentityRecord[];
  /** The host resource id behind a VMSS instance id / providerID / host id, if it exists. */
  hostIdOf(id: string): string | undefined;
  host(id: string): HostSnapshot | undefined;
  denyAssign(identityId: string, denied?: boolean): void;
  denyWrite(hostId: string, denied?: boolean): void;
  setOperationDuration(ms: number | undefined): void;
  /** Completes in-flight operations now (all hosts, or one). */
  releaseOperations(hostId?: string): void;
  /** The next `times` operations end `Failed` with this error; nothing is applied. */
  scriptOperationFailure(error: ArmErrorDetail, times?: number): void;
  setConcurrentWrites(mode: "conflict" | "preempt"): void;
  setRetryAfter(seconds: number): void;
  script429(times: number, retryAfterSeconds: number, filter?: RequestFilter): void;
  scriptError(spec: ScriptedArmError): void;
  clearFaults(): void;
  setLatency(ms: number): void;
  /** Write requests (PATCH/PUT) received on host paths, whatever their outcome. */
  readonly writes: number;
  writesFor(hostId: string): number;
  readonly log: readonly ArmLogEntry[];
  clearLog(): void;
  close(): Promise<void>;
}

export async function startArmPeer(opts: StartArmPeerOptions): Promise<ArmPeer> {
  const registry = new ArmRegistry();
  const operations = new Operations(registry);
  if ("operationDurationMs" in opts) operations.durationMs = opts.operationDurationMs;
  const faults = new Faults();
  const log: ArmLogEntry[] = [];
  const ctx: ArmContext = {
    registry,
    operations,
    tenantId: opts.tenantId ?? "72f988bf-86f1-41af-91ab-2d7cd011db47",
    origin: "https://127.0.0.1",
    concurrentWrites: opts.concurrentWrites ?? "conflict",
    retryAfterSeconds: opts.retryAfterSeconds ?? 0,
    deniedWrites: new Set(),
    deniedAssigns: new Set(),
    writes: new Map(),
  };
  const server = await listenArm(opts, { ctx, faults, log, acceptToken: opts.acceptToken }, (o) => { ctx.origin = o; });
  const settled = (id: string) => {
    const host = registry.host(id);
    if (host) operations.settle(host);
    return host;
  };
  const toggle = (set: Set<string>, id: string, on: boolean) => { if (on) set.add(id); else set.delete(id); };

  return {
    get url() { return ctx.origin; },
    addIdentity: (i) => registry.addIdentity(i),
    removeIdentity: (id) => registry.removeIdentity(id),
    addScaleSet: (s) => registry.addScaleSet(s),
    addVm: (s) => registry.addVm(s),
    deleteHost(id) {
      const host = registry.host(id);
      if (host) operations.cancel(host);
      registry.deleteHost(id);
    },
    markDeleting: (id, deleting = true) => registry.markDeleting(id, deleting),
    identitiesOf(id) {
      const host = settled(id);
      return host ? [...host.identity.userAssigned.values()].map((uai) => registry.describe(uai)) : [];
    },
    hostIdOf: (id) => registry.host(id)?.id,
    host(id) {
      const host = settled(id);
      if (!host) return undefined;
      return {
        id: host.id,
        kind: host.kind,
        identityType: identityTypeOf(host.identity),
        systemAssigned: host.identity.systemAssigned,
        userAssignedIdentities: [...host.identity.userAssigned.values()],
        instances: [...host.instances],
        provisioningState: host.pending ? "Updating" : "Succeeded",
        deleting: host.deleting,
      };
    },
    denyAssign: (id, denied = true) => toggle(ctx.deniedAssigns, keyOf(id), denied),
    denyWrite: (id, denied = true) => toggle(ctx.deniedWrites, hostKeyOf(id), denied),
    setOperationDuration: (ms) => { operations.durationMs = ms; },
    releaseOperations: (hostId) => operations.release(hostId),
    scriptOperationFailure: (error, times = 1) => operations.scriptFailure(error, times),
    setConcurrentWrites: (mode) => { ctx.concurrentWrites = mode; },
    setRetryAfter: (s) => { ctx.retryAfterSeconds = s; },
    script429: (times, retryAfter, filter) => faults.script429(times, retryAfter, filter),
    scriptError: (spec) => faults.scriptError(spec),
    clearFaults: () => faults.clear(),
    setLatency: (ms) => { faults.latencyMs = ms; },
    get writes() { return [...ctx.writes.values()].reduce((a, b) => a + b, 0); },
    writesFor: (id) => ctx.writes.get(hostKeyOf(id)) ?? 0,
    log,
    clearLog: () => { log.length = 0; },
    close: () => new Promise<void>((resolve, reject) => {
      server.close((e) => (e ? reject(e) : resolve()));
      server.closeAllConnections();
    }),
  };
}
