// /metadata/instance, /metadata/identity/info and /metadata/versions: what a VM learns about
// itself. Every primitive is a string, as in IMDS.
import { imdsErrors, NEWEST_VERSIONS, type ImdsReply } from "./errors.ts";

export interface InstanceFacts {
  host: string;
  location: string;
  vmId: string;
  tenantId: string;
}

const VMSS_INSTANCE = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachineScaleSets\/([^/]+)\/virtualMachines\/([^/]+)$/i;
const VMSS = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachineScaleSets\/([^/]+)$/i;
const VM = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachines\/([^/]+)$/i;

export const API_VERSIONS = [
  "2017-03-01", "2017-04-02", "2017-08-01", "2017-10-01", "2017-12-01", "2018-02-01", "2018-04-02",
  "2018-10-01", "2019-02-01", "2019-03-11", "2019-04-30", "2019-06-01", "2019-06-04", "2019-08-01",
  "2019-08-15", "2019-11-01", "2020-06-01", "2020-07-15", "2020-09-01", "2020-10-01", "2020-12-01",
  "2021-01-01", "2021-02-01", "2021-03-01", "2021-05-01", "2021-08-01", "2021-10-01", "2021-11-01",
  "2021-11-15", "2021-12-13", "2022-02-01", "2022-03-01", "2022-08-01", "2023-07-01", ...NEWEST_VERSIONS.slice().reverse(),
];

/** Any dated version in IMDS's range is accepted (the exact list changes over time). */
export function validApiVersion(v: string | null, minimum: string): boolean {
  return v !== null && /^\d{4}-\d{2}-\d{2}$/.test(v) && v >= minimum && v <= (NEWEST_VERSIONS[0] ?? v);
}

export function computeFacts(f: InstanceFacts): Record<string, unknown> {
  const plainHost = f.host.replace(/^azure:\/\//i, "");
  const inst = VMSS_INSTANCE.exec(plainHost);
  const ss = VMSS.exec(plainHost);
  const vm = VM.exec(plainHost);
  const m = inst ?? ss ?? vm;
  const scaleSet = inst?.[3] ?? ss?.[3] ?? "";
  const instanceId = inst?.[4] ?? "0";
  return {
    azEnvironment: "AzurePublicCloud",
    location: f.location,
    name: vm ? vm[3] : `${scaleSet}_${instanceId}`,
    osType: "Linux",
    provider: "Microsoft.Compute",
    resourceGroupName: m?.[2] ?? "",
    resourceId: ss ? `${plainHost}/virtualMachines/${instanceId}` : plainHost,
    subscriptionId: m?.[1] ?? "",
    tags: "",
    tagsList: [],
    vmId: f.vmId,
    vmScaleSetName: scaleSet,
    vmSize: "Standard_D2s_v3",
    zone: "",
  };
}

const NETWORK = {
  interface: [{
    ipv4: { ipAddress: [{ privateIpAddress: "10.240.0.4", publicIpAddress: "" }], subnet: [{ address: "10.240.0.0", prefix: "16" }] },
    ipv6: { ipAddress: [] },
    macAddress: "000D3A000000",
  }],
};

/** `/metadata/instance[/compute/…]`: objects as JSON, leaves only with `format=text`. */
export function instanceReply(f: InstanceFacts, subPath: string, format: string | null): ImdsReply {
  let node: unknown = { compute: computeFacts(f), network: NETWORK };
  for (const seg of subPath.split("/").filter((s) => s !== "")) {
    const next: unknown = Array.isArray(node) ? node[Number(seg)]
      : typeof node === "object" && node !== null ? (node as Record<string, unknown>)[seg] : undefined;
    if (next === undefined) return imdsErrors.notFound();
    node = next;
  }
  if (typeof node === "object" && node !== null) return { status: 200, body: node };
  if (format !== "text") return imdsErrors.leafNeedsText();
  return { status: 200, body: undefined, text: String(node) };
}

export const identityInfoReply = (tenantId: string): ImdsReply => ({ status: 200, body: { tenantId } });
export const versionsReply = (): ImdsReply => ({ status: 200, body: { apiVersions: API_VERSIONS } });
