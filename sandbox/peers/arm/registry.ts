// What exists in the peer's "subscription": user-assigned identities and compute hosts
// (scale sets and standalone VMs). Pure state; requests and operations live elsewhere.
import { randomUUID } from "node:crypto";
import { hostKeyOf, hostResourceId, keyOf } from "./resource-ids.ts";
import type { Host, HostKind, HostSpec, IdentityRecord, ScaleSetSpec } from "./types.ts";

export class ArmRegistry {
  readonly identities = new Map<string, IdentityRecord>();
  readonly hosts = new Map<string, Host>();

  addIdentity(identity: IdentityRecord): void {
    this.identities.set(keyOf(identity.resourceId), { ...identity });
  }

  removeIdentity(resourceId: string): void {
    this.identities.delete(keyOf(resourceId));
  }

  identity(resourceId: string): IdentityRecord | undefined {
    return this.identities.get(keyOf(resourceId));
  }

  addHost(kind: HostKind, spec: ScaleSetSpec): string {
    const id = hostResourceId(kind, spec.subscriptionId, spec.resourceGroup, spec.name);
    const userAssigned = new Map<string, string>();
    for (const uai of spec.userAssignedIdentities ?? []) {
      // Setup errors surface at once rather than as a confusing ARM answer later.
      if (!this.identity(uai)) throw new Error(`addHost: identity ${uai} is not registered (call addIdentity first)`);
      userAssigned.set(keyOf(uai), uai);
    }
    this.hosts.set(keyOf(id), {
      id,
      kind,
      subscriptionId: spec.subscriptionId,
      resourceGroup: spec.resourceGroup,
      name: spec.name,
      location: spec.location,
      uniqueId: randomUUID(),
      systemPrincipalId: randomUUID(),
      identity: { systemAssigned: spec.systemAssigned ?? false, userAssigned },
      instances: kind === "virtualMachineScaleSets" ? [...(spec.instances ?? ["0"])] : [],
      deleting: false,
      tags: { ...(spec.tags ?? {}) },
      pending: undefined,
    });
    return id;
  }

  addScaleSet(spec: ScaleSetSpec): string {
    return this.addHost("virtualMachineScaleSets", spec);
  }

  addVm(spec: HostSpec): string {
    return this.addHost("virtualMachines", spec);
  }

  /** A host by VM/VMSS id, VMSS instance id or node providerID. */
  host(id: string): Host | undefined {
    return this.hosts.get(hostKeyOf(id));
  }

  deleteHost(id: string): boolean {
    return this.hosts.delete(hostKeyOf(id));
  }

  markDeleting(id: string, deleting = true): void {
    const host = this.host(id);
    if (!host) throw new Error(`markDeleting: no host ${id}`);
    host.deleting = deleting;
  }

  /** The identity record of an assigned id; ids deleted from the registry keep blank ids. */
  describe(resourceId: string): IdentityRecord {
    return this.identity(resourceId) ?? { resourceId, clientId: "", principalId: "" };
  }
}
