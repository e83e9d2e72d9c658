// The Lease object behind leader election, via client-node's CoordinationV1Api. Writes carry the
// resourceVersion they were planned from, so a concurrent writer makes ours fail with 409.
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from "@kubernetes/client-node";
import { classifyKubeError, ForwarderErrorCode } from "./errors.ts";
import type { LeaseRecord } from "./lease-decision.ts";

export interface StoredLease extends LeaseRecord {
  resourceVersion: string;
  acquireTime?: Date | string | undefined;
}

export interface LeaseWrite {
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: Date;
  renewTime: Date;
  leaseTransitions: number;
}

/** Errors are thrown as client-node throws them (409 = someone else wrote first). */
export interface LeaseStore {
  get(): Promise<StoredLease | undefined>;
  create(write: LeaseWrite): Promise<StoredLease>;
  replace(resourceVersion: string, write: LeaseWrite): Promise<StoredLease>;
}

function toStored(lease: V1Lease): StoredLease {
  const s = lease.spec ?? {};
  return {
    resourceVersion: lease.metadata?.resourceVersion ?? "",
    holderIdentity: s.holderIdentity,
    leaseDurationSeconds: s.leaseDurationSeconds,
    leaseTransitions: s.leaseTransitions,
    renewTime: s.renewTime,
    acquireTime: s.acquireTime,
  };
}

function body(name: string, namespace: string, w: LeaseWrite, resourceVersion?: string): V1Lease {
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: resourceVersion === undefined ? { name, namespace } : { name, namespace, resourceVersion },
    spec: {
      holderIdentity: w.holderIdentity,
      leaseDurationSeconds: w.leaseDurationSeconds,
      // MicroTime serialises with microseconds, as the API server expects for Lease times.
      acquireTime: new V1MicroTime(w.acquireTime.getTime()),
      renewTime: new V1MicroTime(w.renewTime.getTime()),
      leaseTransitions: w.leaseTransitions,
    },
  };
}

export function kubeLeaseStore(kc: KubeConfig, namespace: string, name: string): LeaseStore {
  const api = kc.makeApiClient(CoordinationV1Api);
  return {
    async get() {
      try {
        return toStored(await api.readNamespacedLease({ name, namespace }));
      } catch (e) {
        if (classifyKubeError(e) === ForwarderErrorCode.NotFound) return undefined;
        throw e;
      }
    },
    async create(w) {
      return toStored(await api.createNamespacedLease({ namespace, body: body(name, namespace, w) }));
    },
    async replace(resourceVersion, w) {
      return toStored(await api.replaceNamespacedLease({ name, namespace, body: body(name, namespace, w, resourceVersion) }));
    },
  };
}
