// Object builders for NMI tests (pods, identities, bindings, assignments, exceptions), shaped
// as the API server returns them.
import type { AzureAssignedIdentity, AzureIdentity, AzureIdentityBinding, AzurePodIdentityException, Pod } from "../../core/index.ts";

export const SUB = "00000000-0000-0000-0000-000000000001";
export function uaiId(name: string, rg = "rg-ids"): string {
  return `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
}

export function pod(name: string, o: { namespace?: string; ip?: string; node?: string; label?: string; labels?: Record<string, string>; phase?: string; hostNetwork?: boolean; deleting?: boolean } = {}): Pod {
  const labels: Record<string, string> = { ...(o.labels ?? {}) };
  if (o.label !== undefined) labels.aadpodidbinding = o.label;
  return {
    metadata: {
      name,
      namespace: o.namespace ?? "default",
      uid: `uid-${name}`,
      labels,
      ...(o.deleting ? { deletionTimestamp: "2024-01-01T00:00:00Z" } : {}),
    },
    spec: { nodeName: o.node ?? "node-a", ...(o.hostNetwork ? { hostNetwork: true } : {}) },
    status: { phase: o.phase ?? "Running", ...(o.ip ? { podIP: o.ip, podIPs: [{ ip: o.ip }] } : {}) },
  };
}

export function identity(name: string, o: { namespace?: string; type?: 0 | 1 | 2; clientID?: string; resourceID?: string; tenantID?: string; secret?: string; adEndpoint?: string; namespaced?: boolean; annotations?: Record<string, string>; aux?: string[] } = {}): AzureIdentity {
  const type = o.type ?? 0;
  const annotations: Record<string, string> = { ...(o.annotations ?? {}) };
  if (o.namespaced) annotations["aadpodidentity.k8s.io/Behavior"] = "namespaced";
  return {
    apiVersion: "aadpodidentity.k8s.io/v1",
    kind: "AzureIdentity",
    metadata: { name, namespace: o.namespace ?? "default", annotations },
    spec: {
      type,
      clientID: o.clientID ?? `${name}-client-0000-0000-000000000000`,
      ...(type === 0 ? { resourceID: o.resourceID ?? uaiId(name) } : {}),
      ...(type !== 0 ? { tenantID: o.tenantID ?? "tenant-1", clientPassword: { name: o.secret ?? `${name}-secret`, namespace: o.namespace ?? "default" } } : {}),
      ...(o.adEndpoint ? { adEndpoint: o.adEndpoint } : {}),
      ...(o.aux ? { auxiliaryTenantIDs: o.aux } : {}),
    },
  };
}

export function binding(name: string, identityName: string, selector: string, namespace = "default"): AzureIdentityBinding {
  return {
    apiVersion: "aadpodidentity.k8s.io/v1",
    kind: "AzureIdentityBinding",
    metadata: { name, namespace },
    spec: { azureIdentity: identityName, selector },
  };
}

export function assigned(p: Pod, id: AzureIdentity, o: { status?: string; message?: string; node?: string; binding?: AzureIdentityBinding; namespace?: string } = {}): AzureAssignedIdentity {
  const node = o.node ?? p.spec.nodeName ?? "node-a";
  const status: { status?: string; message?: string } = {};
  if (o.status !== undefined) status.status = o.status;
  if (o.message !== undefined) status.message = o.message;
  return {
    apiVersion: "aadpodidentity.k8s.io/v1",
    kind: "AzureAssignedIdentity",
    metadata: { name: `${p.metadata.name}-${p.metadata.namespace ?? "default"}-${id.metadata.name}`, namespace: o.namespace ?? "default", labels: { nodename: node } },
    spec: {
      azureIdentityRef: id,
      ...(o.binding ? { azureBindingRef: o.binding } : {}),
      pod: p.metadata.name,
      podNamespace: p.metadata.namespace ?? "default",
      nodename: node,
    },
    status,
  };
}

export function exception(name: string, podLabels: Record<string, string>, namespace = "default"): AzurePodIdentityException {
  return { apiVersion: "aadpodidentity.k8s.io/v1", kind: "AzurePodIdentityException", metadata: { name, namespace }, spec: { podLabels } };
}
