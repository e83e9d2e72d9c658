// Objects are trimmed to what the MIC needs before they cross Service Bus: smaller messages,
// and nothing from the cluster (env vars, secrets in pod specs) leaves it needlessly.
import { POD_BINDING_LABEL } from "../constants.ts";
import type { AzureIdentity, AzureIdentityBinding, AzurePodIdentityException } from "../crds.ts";
import { BEHAVIOR_ANNOTATION } from "../constants.ts";
import type { ObjectMeta } from "../kube-meta.ts";
import type { Node, Pod } from "../pod.ts";
import type { WatchedKind } from "./events.ts";

interface MetaLike {
  name?: string | undefined;
  namespace?: string | undefined;
  uid?: string | undefined;
  resourceVersion?: string | undefined;
  labels?: Record<string, string> | undefined;
  annotations?: Record<string, string> | undefined;
  deletionTimestamp?: string | Date | undefined;
}

function pick<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function trimMeta(meta: MetaLike, keep: { labels?: readonly string[] | "all"; annotations?: readonly string[] }): ObjectMeta {
  const labels = keep.labels === "all"
    ? meta.labels
    : keep.labels && meta.labels
      ? Object.fromEntries(Object.entries(meta.labels).filter(([k]) => keep.labels?.includes(k)))
      : undefined;
  const annotations = keep.annotations && meta.annotations
    ? Object.fromEntries(Object.entries(meta.annotations).filter(([k]) => keep.annotations?.includes(k)))
    : undefined;
  const deletion = meta.deletionTimestamp instanceof Date ? meta.deletionTimestamp.toISOString() : meta.deletionTimestamp;
  return pick({
    name: meta.name ?? "",
    namespace: meta.namespace,
    uid: meta.uid,
    resourceVersion: meta.resourceVersion,
    labels: labels && Object.keys(labels).length > 0 ? labels : undefined,
    annotations: annotations && Object.keys(annotations).length > 0 ? annotations : undefined,
    deletionTimestamp: deletion,
  });
}

interface PodLike {
  metadata?: MetaLike;
  spec?: { nodeName?: string | undefined; hostNetwork?: boolean | undefined };
  status?: { phase?: string | undefined; podIP?: string | undefined };
}

export function trimPod(pod: PodLike): Pod {
  return {
    // Exceptions match on any pod label, so pods keep their labels.
    metadata: trimMeta(pod.metadata ?? {}, { labels: "all" }),
    spec: pick({ nodeName: pod.spec?.nodeName, hostNetwork: pod.spec?.hostNetwork }),
    status: pick({ phase: pod.status?.phase, podIP: pod.status?.podIP }),
  };
}

interface NodeLike {
  metadata?: MetaLike;
  spec?: { providerID?: string | undefined };
}

export function trimNode(node: NodeLike): Node {
  return {
    metadata: trimMeta(node.metadata ?? {}, { labels: [] }),
    spec: pick({ providerID: node.spec?.providerID }),
  };
}

interface CrdLike { metadata?: MetaLike; spec?: unknown }

export function trimIdentity(identity: CrdLike): AzureIdentity {
  return { metadata: trimMeta(identity.metadata ?? {}, { annotations: [BEHAVIOR_ANNOTATION] }), spec: identity.spec as AzureIdentity["spec"] };
}

export function trimBinding(binding: CrdLike): AzureIdentityBinding {
  return { metadata: trimMeta(binding.metadata ?? {}, {}), spec: binding.spec as AzureIdentityBinding["spec"] };
}

export function trimException(exception: CrdLike): AzurePodIdentityException {
  return { metadata: trimMeta(exception.metadata ?? {}, {}), spec: exception.spec as AzurePodIdentityException["spec"] };
}

/** Only pods that opted in matter to the MIC. */
export function podOptedIn(pod: PodLike): boolean {
  const v = pod.metadata?.labels?.[POD_BINDING_LABEL];
  return v !== undefined && v !== "";
}

export function trimObject(kind: WatchedKind, object: unknown): unknown {
  switch (kind) {
    case "Pod": return trimPod(object as PodLike);
    case "Node": return trimNode(object as NodeLike);
    case "AzureIdentity": return trimIdentity(object as CrdLike);
    case "AzureIdentityBinding": return trimBinding(object as CrdLike);
    case "AzurePodIdentityException": return trimException(object as CrdLike);
  }
}
