// Request handlers of the ARM peer: GET/PATCH/PUT of hosts, GET of scale-set instances and of
// async operations. They return a reply or throw an ArmError; transport lives in server.ts.
import { z } from "zod";
import { ArmError, armErrors, type Caller } from "./errors.ts";
import { cloneIdentity, identityBodySchema, planIdentity } from "./identity-patch.ts";
import type { Operations } from "./operations.ts";
import type { ArmRegistry } from "./registry.ts";
import { currentView, renderHost, renderInstance, renderOperation } from "./render.ts";
import { hostResourceId, keyOf, type ArmRoute } from "./resource-ids.ts";
import type { Host, Operation } from "./types.ts";

export interface ArmContext {
  registry: ArmRegistry;
  operations: Operations;
  tenantId: string;
  origin: string;
  concurrentWrites: "conflict" | "preempt";
  retryAfterSeconds: number;
  deniedWrites: Set<string>;
  deniedAssigns: Set<string>;
  writes: Map<string, number>;
}

export interface ArmReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

type HostRoute = Extract<ArmRoute, { kind: "host" }>;

const writeBodySchema = z.object({
  location: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  identity: identityBodySchema.nullable().optional(),
}).loose();

function existingHost(ctx: ArmContext, route: HostRoute): Host {
  const host = ctx.registry.host(hostResourceId(route.hostKind, route.subscriptionId, route.resourceGroup, route.name));
  if (!host) throw armErrors.notFound(route.hostKind, route.name, route.resourceGroup);
  ctx.operations.settle(host);
  return host;
}

export function getHost(ctx: ArmContext, route: HostRoute): ArmReply {
  const host = existingHost(ctx, route);
  return { status: 200, body: renderHost(host, currentView(host), ctx.registry, ctx.tenantId) };
}

function operationUrls(ctx: ArmContext, op: Operation, apiVersion: string): { asyncOp: string; location: string } {
  const base = `${ctx.origin}/subscriptions/${op.subscriptionId}/providers/Microsoft.Compute/locations/${op.location}/operations/${op.id}`;
  const v = encodeURIComponent(apiVersion);
  return { asyncOp: `${base}?p=${op.id}&api-version=${v}`, location: `${base}?p=${op.id}&monitor=true&api-version=${v}` };
}

export function writeHost(ctx: ArmContext, route: HostRoute, method: "PATCH" | "PUT", body: unknown, caller: Caller, apiVersion: string): ArmReply {
  const id = hostResourceId(route.hostKind, route.subscriptionId, route.resourceGroup, route.name);
  const parsed = writeBodySchema.safeParse(body);
  if (!parsed.success) throw armErrors.invalidRequestContent(parsed.error.issues.map((i) => i.message).join("; "));
  const spec = parsed.data;
  let created = false;
  if (method === "PUT" && !ctx.registry.host(id)) {
    // PUT creates; the new host starts empty and the operation applies the body's identity.
    ctx.registry.addHost(route.hostKind, { subscriptionId: route.subscriptionId, resourceGroup: route.resourceGroup, name: route.name, location: spec.location ?? "westeurope" });
    created = true;
  }
  const host = existingHost(ctx, route);
  if (ctx.deniedWrites.has(keyOf(host.id))) throw armErrors.authorizationFailed(caller, host.kind, host.id);
  if (host.deleting) throw armErrors.markedForDeletion(host.kind, host.name);
  const identityBody = spec.identity ?? (method === "PUT" ? { type: "None" } : undefined);
  const plan = identityBody
    ? planIdentity(host.identity, identityBody, method === "PUT" ? "replace" : "merge")
    : { target: cloneIdentity(host.identity), added: [] };
  if (plan instanceof ArmError) throw plan;
  const denied = plan.added.filter((a) => ctx.deniedAssigns.has(keyOf(a)));
  if (denied.length > 0) throw armErrors.linkedAuthorizationFailed(caller, host.kind, host.id, denied);
  const unknown = plan.added.find((a) => !ctx.registry.identity(a));
  if (unknown !== undefined) throw armErrors.failedIdentityOperation(host.id, unknown);
  if (host.pending) {
    if (ctx.concurrentWrites === "conflict") throw armErrors.conflict();
    ctx.operations.cancel(host);
  }
  const tags = spec.tags ?? (method === "PUT" ? {} : host.tags);
  const op = ctx.operations.start(host, plan.target, tags);
  const urls = operationUrls(ctx, op, apiVersion);
  return {
    status: created ? 201 : 200,
    body: renderHost(host, { identity: plan.target, tags, provisioningState: "Updating" }, ctx.registry, ctx.tenantId),
    headers: { "azure-asyncoperation": urls.asyncOp, location: urls.location, "retry-after": String(ctx.retryAfterSeconds) },
  };
}

export function getInstance(ctx: ArmContext, route: Extract<ArmRoute, { kind: "instance" }>): ArmReply {
  const host = existingHost(ctx, { kind: "host", hostKind: "virtualMachineScaleSets", subscriptionId: route.subscriptionId, resourceGroup: route.resourceGroup, name: route.scaleSet });
  if (!host.instances.includes(route.instanceId)) {
    throw new ArmError(404, "ResourceNotFound",
      `The Resource 'Microsoft.Compute/virtualMachineScaleSets/${route.scaleSet}/virtualMachines/${route.instanceId}' under resource group '${route.resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`);
  }
  return { status: 200, body: renderInstance(host, route.instanceId, ctx.registry, ctx.tenantId) };
}

/** Azure-AsyncOperation status, or (`monitor=true`) the Location monitor: 202 until done, then the resource. */
export function getOperation(ctx: ArmContext, route: Extract<ArmRoute, { kind: "operation" }>, query: URLSearchParams): ArmReply {
  const op = ctx.operations.get(route.operationId);
  if (!op || keyOf(op.subscriptionId) !== keyOf(route.subscriptionId)) throw armErrors.operationNotFound(route.operationId);
  const running = op.status === "InProgress";
  const retry: Record<string, string> = running ? { "retry-after": String(ctx.retryAfterSeconds) } : {};
  if (query.get("monitor") !== "true") return { status: 200, body: renderOperation(op), headers: retry };
  if (running) return { status: 202, headers: { ...retry, location: operationUrls(ctx, op, query.get("api-version") ?? "").location } };
  if (op.status !== "Succeeded") return { status: 400, body: { error: op.error } };
  const host = ctx.registry.hosts.get(op.hostKey);
  if (!host) return { status: 204 };
  return { status: 200, body: renderHost(host, currentView(host), ctx.registry, ctx.tenantId) };
}
