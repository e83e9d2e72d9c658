// Typed reads the commands need, validated with core's schemas (objects that fail validation
// are reported, not silently dropped).
import { z } from "zod";
import {
  API_VERSION, AzureAssignedIdentitySchema, AzureIdentityBindingSchema, AzureIdentitySchema, AzurePodIdentityExceptionSchema,
  describeZodError, NodeSchema, PLURALS, PodSchema,
  type AzureAssignedIdentity, type AzureIdentity, type AzureIdentityBinding, type AzurePodIdentityException, type Node, type Pod,
} from "../../core/index.ts";
import { CliError } from "../errors.ts";
import { KubeApiError, type KubeApi } from "./api.ts";

const enc = encodeURIComponent;

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new CliError(`${what} has an unexpected shape: ${describeZodError(r.error)}`);
  return r.data;
}

export async function readPod(api: KubeApi, namespace: string, name: string): Promise<Pod | undefined> {
  const raw = await api.getJson(`/api/v1/namespaces/${enc(namespace)}/pods/${enc(name)}`);
  return raw === undefined ? undefined : parse(PodSchema, raw, `pod ${namespace}/${name}`);
}

export async function readNode(api: KubeApi, name: string): Promise<Node | undefined> {
  const raw = await api.getJson(`/api/v1/nodes/${enc(name)}`);
  return raw === undefined ? undefined : parse(NodeSchema, raw, `node ${name}`);
}

export async function listNodes(api: KubeApi): Promise<Node[]> {
  return (await api.list("/api/v1/nodes")).map((o, i) => parse(NodeSchema, o, `node #${i}`));
}

export async function listPods(api: KubeApi, namespace: string, o: { labelSelector?: string; fieldSelector?: string } = {}): Promise<Pod[]> {
  const query: Record<string, string> = {};
  if (o.labelSelector) query.labelSelector = o.labelSelector;
  if (o.fieldSelector) query.fieldSelector = o.fieldSelector;
  return (await api.list(`/api/v1/namespaces/${enc(namespace)}/pods`, query)).map((p, i) => parse(PodSchema, p, `pod #${i} in ${namespace}`));
}

export interface PodIdentityObjects {
  identities: AzureIdentity[];
  bindings: AzureIdentityBinding[];
  exceptions: AzurePodIdentityException[];
  assigned: AzureAssignedIdentity[];
}

/** One podid kind in all namespaces; a 404 means the CRDs are not installed. */
async function all<T>(api: KubeApi, plural: string, schema: z.ZodType<T>): Promise<T[]> {
  let items: unknown[];
  try {
    items = await api.list(`/apis/${API_VERSION}/${plural}`);
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 404) {
      throw new CliError(`the ${API_VERSION} CRDs are not installed in this cluster (no ${plural})`, "install podid: kubectl apply -k infra/default");
    }
    throw err;
  }
  return items.map((o, i) => parse(schema, o, `${plural} #${i}`));
}

/** All four kinds in all namespaces (non-namespaced identities serve pods anywhere). */
export async function readPodIdentityObjects(api: KubeApi): Promise<PodIdentityObjects> {
  const [identities, bindings, exceptions, assigned] = await Promise.all([
    all(api, PLURALS.AzureIdentity, AzureIdentitySchema),
    all(api, PLURALS.AzureIdentityBinding, AzureIdentityBindingSchema),
    all(api, PLURALS.AzurePodIdentityException, AzurePodIdentityExceptionSchema),
    all(api, PLURALS.AzureAssignedIdentity, AzureAssignedIdentitySchema),
  ]);
  return { identities, bindings, exceptions, assigned };
}

export async function listAssignedIdentities(api: KubeApi): Promise<AzureAssignedIdentity[]> {
  return all(api, PLURALS.AzureAssignedIdentity, AzureAssignedIdentitySchema);
}

export async function readPodLog(api: KubeApi, namespace: string, name: string, o: { tailLines: number; container?: string }): Promise<string> {
  const query: Record<string, string> = { tailLines: String(o.tailLines) };
  if (o.container !== undefined) query.container = o.container;
  return api.getText(`/api/v1/namespaces/${enc(namespace)}/pods/${enc(name)}/log`, query);
}

/** The NMI container's spec bits the CLI reads: args/env (mode, forceNamespaced) and ports. */
const ContainerSchema = z.looseObject({
  name: z.string(),
  args: z.array(z.string()).optional(),
  command: z.array(z.string()).optional(),
  env: z.array(z.looseObject({ name: z.string(), value: z.string().optional() })).optional(),
  ports: z.array(z.looseObject({ name: z.string().optional(), containerPort: z.number() })).optional(),
});
export type Container = z.infer<typeof ContainerSchema>;

const PodContainersSchema = z.looseObject({
  spec: z.looseObject({ containers: z.array(ContainerSchema).default([]) }).default({ containers: [] }),
  status: z.looseObject({
    conditions: z.array(z.looseObject({ type: z.string(), status: z.string() })).optional(),
  }).default({}),
});

export function podContainers(pod: Pod): Container[] {
  const r = PodContainersSchema.safeParse(pod);
  return r.success ? r.data.spec.containers : [];
}

/** The Ready condition; undefined when the pod reports no conditions at all. */
export function podReady(pod: Pod): boolean | undefined {
  const r = PodContainersSchema.safeParse(pod);
  const ready = r.success ? (r.data.status.conditions ?? []).find((c) => c.type === "Ready") : undefined;
  return ready === undefined ? undefined : ready.status === "True";
}
