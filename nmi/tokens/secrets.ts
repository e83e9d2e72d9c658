// Kubernetes Secrets for service-principal identities: read with a GET when a token must be
// fetched (not watched: NMI should not hold every Secret of the cluster in memory). Values are
// never logged; errors name the Secret, never its content.
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { NmiError } from "../errors.ts";

export interface SecretData {
  namespace: string;
  name: string;
  resourceVersion: string;
  /** Keys in the API server's order (it serialises map keys sorted). */
  data: ReadonlyMap<string, Buffer>;
}

export interface SecretReader {
  read(namespace: string, name: string): Promise<SecretData>;
}

function statusOf(err: unknown): number | undefined {
  if (typeof err === "object" && err !== null && "code" in err && typeof err.code === "number") return err.code;
  return undefined;
}

export function createKubeSecretReader(kc: KubeConfig): SecretReader {
  const api = kc.makeApiClient(CoreV1Api);
  return {
    async read(namespace, name) {
      try {
        const s = await api.readNamespacedSecret({ name, namespace });
        const data = new Map<string, Buffer>();
        for (const [k, v] of Object.entries(s.data ?? {})) data.set(k, Buffer.from(v, "base64"));
        for (const [k, v] of Object.entries(s.stringData ?? {})) if (!data.has(k)) data.set(k, Buffer.from(v, "utf8"));
        return { namespace, name, resourceVersion: s.metadata?.resourceVersion ?? "", data };
      } catch (err) {
        const status = statusOf(err);
        if (status === 404) throw new NmiError("PODID_NMI_SECRET_INVALID", "secret-not-found", `Secret ${namespace}/${name} not found`);
        if (status === 403 || status === 401) {
          throw new NmiError("PODID_NMI_SECRET_INVALID", "secret-forbidden", `NMI may not read Secret ${namespace}/${name}`);
        }
        throw new NmiError("PODID_NMI_KUBE_UNAVAILABLE", "secret-read-failed");
      }
    },
  };
}

/**
 * Type 1's secret. Upstream used the first value of the Secret whatever its key; podid keeps
 * that for compatibility but prefers a `clientSecret` key when present, so a Secret holding
 * other keys too stays unambiguous.
 */
export function clientSecretOf(secret: SecretData): string | undefined {
  const preferred = secret.data.get("clientSecret");
  const value = preferred ?? secret.data.values().next().value;
  const text = value?.toString("utf8");
  return text === undefined || text === "" ? undefined : text;
}
