// The I/O half of `podid diagnose`: reads the pod, its node, the NMI on that node, the
// podid objects, the MIC's host record and NMI's log, and returns them as DiagnosisFacts.
// Optional sources (MIC, NMI log) degrade to "skipped"/"error" facts instead of failing.
import {
  effectiveAssignedStatus, exceptionAppliesToPod, hostFromProviderId, identitiesForPod, POD_BINDING_LABEL,
  type AzureIdentity, type Pod,
} from "../../core/index.ts";
import type { MicOptions, NmiLocator } from "../args.ts";
import { CliError, errorMessage } from "../errors.ts";
import { KubeApiError, type KubeApi } from "../kube/api.ts";
import { findNmiPods } from "../kube/nmi-pods.ts";
import { readNode, readPod, readPodIdentityObjects, readPodLog, type PodIdentityObjects } from "../kube/reads.ts";
import { fetchMicStatus, findMicHost, type MicStatus } from "../mic/status-client.ts";
import { redactClientId } from "../render/redact.ts";
import type { DiagnosisFacts, MicFacts, NmiFacts, NmiLogFacts, NodeFacts } from "./facts.ts";
import { filterNmiLog } from "./nmi-logs.ts";

export interface GatherOptions {
  namespace: string;
  pod: string;
  nmi: NmiLocator;
  mic?: MicOptions;
  micSkipReason?: string;
  tailLines: number;
  logLines: number;
  timeoutMs: number;
  /** Injectable for tests; defaults to the HTTP client. */
  fetchMic?: (o: MicOptions, timeoutMs: number) => Promise<MicStatus>;
}

export async function gatherDiagnosis(api: KubeApi, o: GatherOptions): Promise<DiagnosisFacts> {
  const pod = await readPod(api, o.namespace, o.pod);
  if (!pod) throw new CliError(`pod "${o.pod}" not found in namespace "${o.namespace}"`, `kubectl get pods -n ${o.namespace}`);
  const nodeName = pod.spec.nodeName;
  const [objects, node, nmi] = await Promise.all([
    readPodIdentityObjects(api),
    nodeName === undefined ? Promise.resolve(undefined) : nodeFacts(api, nodeName),
    nodeName === undefined ? Promise.resolve<NmiFacts>({ state: "skipped", reason: "pod has no node" }) : nmiFacts(api, o.nmi, nodeName),
  ]);
  const mode = nmi.state === "found" ? nmi.pod.mode : "standard";
  const forceNamespaced = nmi.state === "found" ? nmi.pod.forceNamespaced : false;
  const [mic, nmiLogs] = await Promise.all([micFacts(o, node), nmiLogFacts(api, nmi, pod, o)]);
  return {
    pod: {
      namespace: pod.metadata.namespace ?? o.namespace,
      name: pod.metadata.name,
      phase: pod.status.phase,
      node: nodeName,
      ip: pod.status.podIP,
      hostNetwork: pod.spec.hostNetwork === true,
      terminating: pod.metadata.deletionTimestamp !== undefined,
      selector: nonEmpty(pod.metadata.labels?.[POD_BINDING_LABEL]),
    },
    node, nmi, mode, forceNamespaced,
    bindings: bindingFacts(pod, objects, forceNamespaced),
    exceptions: objects.exceptions.flatMap((e) => {
      if (!exceptionAppliesToPod(e, pod).ok) return [];
      const labels = pod.metadata.labels ?? {};
      const matched = Object.fromEntries(Object.entries(e.spec.podLabels).filter(([k, v]) => labels[k]?.toLowerCase() === v.toLowerCase()));
      return [{ name: e.metadata.name, namespace: e.metadata.namespace ?? "default", matchedLabels: matched }];
    }),
    assignments: objects.assigned
      .filter((a) => a.spec.pod === pod.metadata.name && a.spec.podNamespace === (pod.metadata.namespace ?? o.namespace))
      .map((a) => ({
        namespace: a.metadata.namespace ?? "default",
        name: a.metadata.name,
        identity: `${a.spec.azureIdentityRef?.metadata.namespace ?? "default"}/${a.spec.azureIdentityRef?.metadata.name ?? "?"}`,
        node: a.spec.nodename,
        status: effectiveAssignedStatus(a),
        message: a.status?.message,
      })),
    mic, nmiLogs,
  };
}

function bindingFacts(pod: Pod, objects: PodIdentityObjects, forceNamespaced: boolean): DiagnosisFacts["bindings"] {
  const byKey = new Map<string, AzureIdentity>(objects.identities.map((i) => [`${i.metadata.namespace ?? "default"}/${i.metadata.name}`, i]));
  const { matches, rejected } = identitiesForPod(pod, objects.bindings, { identity: (ns, name) => byKey.get(`${ns}/${name}`) }, forceNamespaced);
  const ref = (ns: string | undefined, name: string): string => `${ns ?? "default"}/${name}`;
  return {
    matches: matches.map((m) => ({
      binding: ref(m.binding.metadata.namespace, m.binding.metadata.name),
      identity: {
        namespace: m.identity.metadata.namespace ?? "default",
        name: m.identity.metadata.name,
        type: m.identity.spec.type,
        clientId: redactClientId(m.identity.spec.clientID),
        resourceId: m.identity.spec.resourceID,
      },
    })),
    rejected: rejected.map((r) => ({
      binding: ref(r.binding.metadata.namespace, r.binding.metadata.name),
      identity: ref(r.binding.metadata.namespace, r.binding.spec.azureIdentity),
      reason: r.reason,
    })),
    selectorsInCluster: [...new Set(objects.bindings.map((b) => b.spec.selector).filter((s) => s !== ""))].sort(),
  };
}

async function nodeFacts(api: KubeApi, name: string): Promise<NodeFacts> {
  const node = await readNode(api, name);
  if (!node) return { name, found: false, providerId: undefined, host: undefined, hostError: undefined };
  const providerId = node.spec.providerID;
  try {
    const h = hostFromProviderId(providerId);
    return { name, found: true, providerId, host: { id: h.id, kind: h.kind, name: h.name }, hostError: undefined };
  } catch (err) {
    return { name, found: true, providerId, host: undefined, hostError: errorMessage(err) };
  }
}

async function nmiFacts(api: KubeApi, locator: NmiLocator, node: string): Promise<NmiFacts> {
  try {
    const [first, ...others] = await findNmiPods(api, locator, node);
    return first
      ? { state: "found", namespace: locator.namespace, selector: locator.selector, pod: first, others: others.map((p) => p.name) }
      : { state: "missing", namespace: locator.namespace, selector: locator.selector };
  } catch (err) {
    // Listing pods in the NMI namespace may be forbidden to this user: diagnose without it.
    if (err instanceof KubeApiError) return { state: "error", namespace: locator.namespace, selector: locator.selector, error: err.message };
    throw err;
  }
}

async function micFacts(o: GatherOptions, node: NodeFacts | undefined): Promise<MicFacts> {
  if (!o.mic) return { state: "skipped", reason: o.micSkipReason ?? "no MIC URL" };
  try {
    const status = await (o.fetchMic ?? fetchMicStatus)(o.mic, o.timeoutMs);
    return { state: "ok", cluster: o.mic.cluster, host: node?.host ? findMicHost(status, node.host.id) : undefined };
  } catch (err) {
    return { state: "error", error: errorMessage(err) };
  }
}

async function nmiLogFacts(api: KubeApi, nmi: NmiFacts, pod: Pod, o: GatherOptions): Promise<NmiLogFacts> {
  if (nmi.state !== "found") return { state: "skipped", reason: nmi.state === "skipped" ? nmi.reason : "no NMI pod found" };
  try {
    const text = await readPodLog(api, nmi.pod.namespace, nmi.pod.name, {
      tailLines: o.tailLines, ...(nmi.pod.container === undefined ? {} : { container: nmi.pod.container }),
    });
    const filtered = filterNmiLog(text, { namespace: pod.metadata.namespace ?? o.namespace, pod: pod.metadata.name }, o.logLines);
    return { state: "ok", nmiPod: nmi.pod.name, scanned: filtered.scanned, lines: filtered.lines };
  } catch (err) {
    return { state: "error", error: errorMessage(err) };
  }
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === "" ? undefined : s;
}
