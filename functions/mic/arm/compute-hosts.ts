// ArmHosts on @azure/arm-compute 24.1.0 (the modular client): GET and PATCH of VM scale sets and
// VMs through the SDK's operations, and the long-running operation polled one request at a time.
// Found against 24.1.0 and the ARM peer:
// - `update()` returns a PollerLike; `submitted()` sends only the initial PATCH. Polling starts
//   only when the poller is awaited, so we never await it: the initial response's LRO headers
//   (captured with `onResponse`) are all the orchestration needs.
// - The status URL is read with the client's own REST client (`pathUnchecked` accepts absolute
//   URLs; the SDK's restorePoller uses the same member), so auth, endpoint and TLS settings are
//   the SDK's. Unlike `restorePoller(...).poll()`, this exposes Retry-After.
// - SDK retries are off: a 429 inside the SDK would sleep Retry-After inside an activity.
//   errors.ts classifies and the orchestration backs off on durable timers instead.
import { ComputeManagementClient } from "@azure/arm-compute";
import type { VirtualMachineScaleSetUpdate, VirtualMachineUpdate } from "@azure/arm-compute";
import type { TokenCredential } from "@azure/identity";
import { parseResourceId } from "../../../core/index.ts";
import type { IdentityPatch } from "../planner/index.ts";
import { parseRetryAfter } from "./errors.ts";
import type { ArmHosts, HostIdentity, OperationPoll, OperationRef, StartedUpdate } from "./types.ts";

export interface ComputeHostsOptions {
  /** ARM endpoint, e.g. https://management.azure.com (sovereign clouds, the sandbox's peer). */
  endpoint: string;
  /** Token scope, e.g. https://management.azure.com/.default. */
  scope: string;
  credential: TokenCredential;
  /** Per-request timeout in ms (default 30 s). */
  timeoutMs?: number;
}

interface RawResponse {
  status: number | string;
  headers: { get(name: string): string | undefined | null } | Record<string, string | undefined>;
  body?: unknown;
  parsedBody?: unknown;
}

/** The REST client inside ComputeManagementClient (the member restorePoller uses). */
interface RestClient {
  pathUnchecked(path: string): { get(options?: { timeout?: number }): PromiseLike<RawResponse> };
}

function header(res: RawResponse, name: string): string | undefined {
  const h = res.headers as { get?: unknown } & Record<string, string | undefined>;
  if (typeof h.get === "function") return (h.get as (n: string) => string | undefined | null).call(h, name) ?? undefined;
  return h[name] ?? h[name.toLowerCase()];
}

interface IdentityLike {
  type?: string;
  userAssignedIdentities?: Record<string, { clientId?: string; principalId?: string } | undefined>;
}

function toHostIdentity(identity: IdentityLike | undefined, provisioningState: string | undefined): HostIdentity {
  const uai: HostIdentity["userAssignedIdentities"] = {};
  for (const [id, v] of Object.entries(identity?.userAssignedIdentities ?? {})) {
    uai[id] = { ...(v?.clientId !== undefined ? { clientId: v.clientId } : {}), ...(v?.principalId !== undefined ? { principalId: v.principalId } : {}) };
  }
  return { type: identity?.type ?? null, userAssignedIdentities: uai, ...(provisioningState !== undefined ? { provisioningState } : {}) };
}

function statusOf(value: unknown): string {
  return typeof value === "string" ? value.toLowerCase() : "";
}

export function createComputeHosts(opts: ComputeHostsOptions): ArmHosts {
  // One client per subscription: the modular client binds its subscription at construction.
  const clients = new Map<string, ComputeManagementClient>();
  const timeout = opts.timeoutMs ?? 30_000;
  const clientFor = (subscriptionId: string): ComputeManagementClient => {
    let c = clients.get(subscriptionId.toLowerCase());
    if (!c) {
      c = new ComputeManagementClient(opts.credential, subscriptionId, {
        endpoint: opts.endpoint,
        credentials: { scopes: [opts.scope] },
        retryOptions: { maxRetries: 0 },
      });
      clients.set(subscriptionId.toLowerCase(), c);
    }
    return c;
  };
  const host = (hostId: string) => {
    const id = parseResourceId(hostId);
    if (id.kind !== "virtualMachineScaleSet" && id.kind !== "virtualMachine") throw new Error(`'${hostId}' is not a VM scale set or VM id`);
    return { ...id, client: clientFor(id.subscriptionId) };
  };

  return {
    async getIdentity(hostId) {
      const h = host(hostId);
      const options = { requestOptions: { timeout } };
      if (h.kind === "virtualMachineScaleSet") {
        const vmss = await h.client.virtualMachineScaleSets.get(h.resourceGroup, h.name, options);
        return toHostIdentity(vmss.identity, vmss.provisioningState);
      }
      const vm = await h.client.virtualMachines.get(h.resourceGroup, h.name, options);
      return toHostIdentity(vm.identity, vm.provisioningState);
    },

    async startIdentityUpdate(hostId, patch: IdentityPatch): Promise<StartedUpdate> {
      const h = host(hostId);
      let initial: RawResponse | undefined;
      const options = { requestOptions: { timeout }, onResponse: (raw: RawResponse) => { initial ??= raw; } };
      // The SDK's types do not admit `null` map values; the wire format needs them (remove).
      const body = { identity: patch.identity } as unknown;
      const poller = h.kind === "virtualMachineScaleSet"
        ? h.client.virtualMachineScaleSets.update(h.resourceGroup, h.name, body as VirtualMachineScaleSetUpdate, options)
        : h.client.virtualMachines.update(h.resourceGroup, h.name, body as VirtualMachineUpdate, options);
      await poller.submitted();
      if (!initial) throw new Error("ARM update: no initial response was observed");
      const asyncOp = header(initial, "azure-asyncoperation");
      const location = header(initial, "location");
      const retryAfterMs = parseRetryAfter(header(initial, "retry-after"));
      const operation: OperationRef | null = asyncOp ? { url: asyncOp, kind: "azure-asyncoperation" }
        : location && Number(initial.status) === 202 ? { url: location, kind: "location" } : null;
      return { operation, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
    },

    async pollOperation(hostId, operation): Promise<OperationPoll> {
      const h = host(hostId);
      const rest = (h.client as unknown as { _client: RestClient })._client;
      const res = await rest.pathUnchecked(operation.url).get({ timeout });
      const status = Number(res.status);
      const retryAfterMs = parseRetryAfter(header(res, "retry-after"));
      const extra = retryAfterMs !== undefined ? { retryAfterMs } : {};
      const body = (res.body ?? res.parsedBody) as { status?: unknown; error?: { code?: string; message?: string } } | undefined;
      if (status >= 400) {
        // Throw it the way the SDK would, so errors.ts sees one shape.
        const err = Object.assign(new Error(body?.error?.message ?? `operation status request failed with HTTP ${status}`), {
          name: "RestError", statusCode: status, code: body?.error?.code, response: { headers: { get: (n: string) => header(res, n) } },
        });
        throw err;
      }
      if (operation.kind === "location") return status === 202 ? { status: "running", ...extra } : { status: "succeeded", ...extra };
      switch (statusOf(body?.status)) {
        case "succeeded": return { status: "succeeded", ...extra };
        case "failed": return { status: "failed", ...extra, ...(body?.error ? { error: body.error } : {}) };
        case "canceled": case "cancelled": return { status: "canceled", ...extra, ...(body?.error ? { error: body.error } : {}) };
        default: return { status: "running", ...extra }; // InProgress and unknown values (core-lro does the same)
      }
    },
  };
}
