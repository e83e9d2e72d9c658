// The slice of a Pod / Node that podid reads. Trimmed objects travel in Service Bus messages,
// so these schemas are also the wire contract for pods and nodes.
import { z } from "zod";
import { ObjectMetaSchema } from "./kube-meta.ts";

export const PodSchema = z.looseObject({
  metadata: ObjectMetaSchema,
  spec: z.looseObject({
    nodeName: z.string().optional(),
    hostNetwork: z.boolean().optional(),
  }).default({}),
  status: z.looseObject({
    phase: z.string().optional(),
    podIP: z.string().optional(),
    podIPs: z.array(z.looseObject({ ip: z.string() })).optional(),
  }).default({}),
});
export type Pod = z.infer<typeof PodSchema>;

export const NodeSchema = z.looseObject({
  metadata: ObjectMetaSchema,
  spec: z.looseObject({ providerID: z.string().optional() }).default({}),
});
export type Node = z.infer<typeof NodeSchema>;

/** Pending and Running pods can hold an IP; Succeeded/Failed pods' IPs may be reused. */
export function isActivePod(pod: Pod): boolean {
  const phase = pod.status.phase;
  return (phase === "Pending" || phase === "Running") && pod.metadata.deletionTimestamp === undefined;
}

export function podIps(pod: Pod): string[] {
  const ips = new Set<string>();
  if (pod.status.podIP) ips.add(pod.status.podIP);
  for (const entry of pod.status.podIPs ?? []) ips.add(entry.ip);
  return [...ips];
}

export function podKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? "default"}/${name}`;
}
