// AzureAssignedIdentity reads and writes through client-node's CustomObjectsApi. Status goes
// through the status subresource (PUT .../status), as the CRD enables it.
import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { AzureAssignedIdentitySchema, CRD_GROUP, CRD_VERSION, PLURALS, type AzureAssignedIdentity } from "../core/index.ts";
import { describeZodError } from "../core/index.ts";
import { classifyKubeError, CommandError, ForwarderErrorCode } from "./errors.ts";

/** The operations the command executor needs; errors are thrown as client-node throws them. */
export interface AssignedIdentityStore {
  /** Undefined when the object does not exist. */
  get(namespace: string, name: string): Promise<AzureAssignedIdentity | undefined>;
  create(namespace: string, body: AzureAssignedIdentity): Promise<AzureAssignedIdentity>;
  replace(namespace: string, name: string, body: AzureAssignedIdentity): Promise<AzureAssignedIdentity>;
  replaceStatus(namespace: string, name: string, body: AzureAssignedIdentity): Promise<AzureAssignedIdentity>;
  /** Resolves when the API server accepted the deletion or the object is already gone. */
  delete(namespace: string, name: string): Promise<void>;
}

function parse(body: unknown): AzureAssignedIdentity {
  const parsed = AzureAssignedIdentitySchema.safeParse(body);
  if (!parsed.success) {
    throw new CommandError(ForwarderErrorCode.Transient, `API server returned an unexpected AzureAssignedIdentity: ${describeZodError(parsed.error)}`);
  }
  return parsed.data;
}

export function kubeAssignedIdentityStore(kc: KubeConfig): AssignedIdentityStore {
  const api = kc.makeApiClient(CustomObjectsApi);
  const base = { group: CRD_GROUP, version: CRD_VERSION, plural: PLURALS.AzureAssignedIdentity };
  return {
    async get(namespace, name) {
      try {
        const body: unknown = await api.getNamespacedCustomObject({ ...base, namespace, name });
        return parse(body);
      } catch (e) {
        if (classifyKubeError(e) === ForwarderErrorCode.NotFound) return undefined;
        throw e;
      }
    },
    async create(namespace, body) {
      const created: unknown = await api.createNamespacedCustomObject({ ...base, namespace, body });
      return parse(created);
    },
    async replace(namespace, name, body) {
      const updated: unknown = await api.replaceNamespacedCustomObject({ ...base, namespace, name, body });
      return parse(updated);
    },
    async replaceStatus(namespace, name, body) {
      const updated: unknown = await api.replaceNamespacedCustomObjectStatus({ ...base, namespace, name, body });
      return parse(updated);
    },
    async delete(namespace, name) {
      try {
        await api.deleteNamespacedCustomObject({ ...base, namespace, name });
      } catch (e) {
        if (classifyKubeError(e) !== ForwarderErrorCode.NotFound) throw e;
      }
    },
  };
}
