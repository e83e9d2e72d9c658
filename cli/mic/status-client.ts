// The MIC's status API: GET <mic-url>/api/clusters/<cluster>/status with the function key in
// `x-functions-key` (function-level auth). The schema is lenient on purpose: the CLI reads the
// fields it knows (host id, desired/assigned ids, pending work, last error) and ignores others.
import { z } from "zod";
import { describeZodError, resourceIdKey } from "../../core/index.ts";
import type { MicOptions } from "../args.ts";
import { CliError } from "../errors.ts";
import { httpGet } from "../http.ts";

const ids = z.array(z.string()).optional();
const HostErrorSchema = z.looseObject({ code: z.string(), message: z.string().default(""), at: z.string().optional() });

export const MicHostSchema = z.looseObject({
  hostId: z.string(),
  hostKey: z.string().optional(),
  kind: z.string().optional(),
  name: z.string().optional(),
  nodes: ids,
  /** Type-0 identity ids the host must carry. */
  desired: ids,
  /** Ids ARM reported on the host at the last verify. */
  actual: ids,
  /** Ids podid added (the only ones it may remove). */
  podidAssigned: ids,
  generation: z.number().optional(),
  reconciledGeneration: z.number().optional(),
  lastReconciledAt: z.string().nullable().optional(),
  lastError: HostErrorSchema.nullable().optional(),
  pending: z.looseObject({
    adds: z.array(z.string()).default([]),
    removes: z.array(z.string()).default([]),
    skipped: z.array(z.looseObject({ id: z.string(), reason: z.string() })).default([]),
    assignments: z.looseObject({ assigned: z.number(), failed: z.number(), created: z.number() }).optional(),
  }).nullable().optional(),
  /** Orchestration runtime status, when the API reports it. */
  runtimeStatus: z.string().optional(),
});
export type MicHost = z.infer<typeof MicHostSchema>;

export const MicStatusSchema = z.looseObject({
  cluster: z.string().optional(),
  hosts: z.array(MicHostSchema).default([]),
});
export type MicStatus = z.infer<typeof MicStatusSchema>;

export function micStatusUrl(o: MicOptions): URL {
  const base = o.url.replace(/\/+$/, "").replace(/\/api$/, "");
  return new URL(`${base}/api/clusters/${encodeURIComponent(o.cluster)}/status`);
}

export async function fetchMicStatus(o: MicOptions, timeoutMs: number): Promise<MicStatus> {
  const url = micStatusUrl(o);
  const reply = await httpGet(url, {
    timeoutMs, what: `the MIC status API at ${url.origin}`,
    headers: { Accept: "application/json", ...(o.key === undefined ? {} : { "x-functions-key": o.key }) },
  });
  if (reply.status === 401 || reply.status === 403) {
    throw new CliError(`the MIC status API refused the request (${reply.status})`, "pass the function key with --mic-key or PODID_MIC_KEY");
  }
  if (reply.status === 404) {
    throw new CliError(`the MIC status API has no cluster "${o.cluster}" (404)`, "check --cluster: it is the name the forwarder sends events under");
  }
  if (reply.status !== 200) throw new CliError(`the MIC status API answered ${reply.status}: ${reply.text.slice(0, 200)}`);
  let json: unknown;
  try {
    json = JSON.parse(reply.text);
  } catch {
    throw new CliError("the MIC status API answered with something that is not JSON");
  }
  const parsed = MicStatusSchema.safeParse(json);
  if (!parsed.success) throw new CliError(`the MIC status API answer has an unexpected shape: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

/** The MIC's record for a host, matched on its resource id (case-insensitive, as ARM). */
export function findMicHost(status: MicStatus, hostId: string): MicHost | undefined {
  const key = resourceIdKey(hostId);
  return status.hosts.find((h) => resourceIdKey(h.hostId) === key || (h.hostKey !== undefined && h.hostKey.toLowerCase() === key));
}

/** generation > reconciledGeneration means a reconcile is due or running. */
export function reconcileLag(h: MicHost): number {
  return h.generation !== undefined && h.reconciledGeneration !== undefined ? Math.max(0, h.generation - h.reconciledGeneration) : 0;
}
