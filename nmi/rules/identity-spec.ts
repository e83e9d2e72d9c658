// AzureIdentity → what the token source needs (pure). Incomplete specs are final errors:
// waiting would not make a missing clientID appear.
import { IdentityType, type AzureIdentity } from "../../core/index.ts";

export const DEFAULT_AD_ENDPOINT = "https://login.microsoftonline.com/";

export type ResolvedIdentity =
  | { type: 0; clientId: string; resourceId?: string; name: string }
  | {
      type: 1 | 2;
      clientId: string;
      tenantId: string;
      auxiliaryTenantIds: string[];
      /** Authority base, always ending in `/`. */
      adEndpoint: string;
      secret: { namespace: string; name: string };
      name: string;
    };

export type IdentitySpecDecision = { ok: true; identity: ResolvedIdentity } | { ok: false; reason: string; description: string };

export function resolveIdentity(identity: AzureIdentity): IdentitySpecDecision {
  const name = `${identity.metadata.namespace ?? "default"}/${identity.metadata.name}`;
  const spec = identity.spec;
  const clientId = (spec.clientID ?? "").trim();
  if (clientId === "") return { ok: false, reason: "identity-without-client-id", description: `AzureIdentity ${name} has no clientID` };
  if (spec.type === IdentityType.UserAssignedMSI) {
    const r: ResolvedIdentity = { type: 0, clientId, name };
    if (spec.resourceID) r.resourceId = spec.resourceID;
    return { ok: true, identity: r };
  }
  const tenantId = (spec.tenantID ?? "").trim();
  if (tenantId === "") return { ok: false, reason: "identity-without-tenant", description: `AzureIdentity ${name} has no tenantID` };
  const secretName = spec.clientPassword?.name ?? "";
  if (secretName === "") {
    return { ok: false, reason: "identity-without-secret-ref", description: `AzureIdentity ${name} has no clientPassword secret reference` };
  }
  const adEndpoint = (spec.adEndpoint ?? "").trim() || DEFAULT_AD_ENDPOINT;
  let url: URL;
  try {
    url = new URL(adEndpoint);
  } catch {
    return { ok: false, reason: "identity-bad-ad-endpoint", description: `AzureIdentity ${name} has an invalid adEndpoint` };
  }
  if (url.protocol !== "https:") {
    return { ok: false, reason: "identity-bad-ad-endpoint", description: `AzureIdentity ${name}: adEndpoint must be https` };
  }
  return {
    ok: true,
    identity: {
      type: spec.type,
      clientId,
      tenantId,
      auxiliaryTenantIds: (spec.auxiliaryTenantIDs ?? []).filter((t) => t.trim() !== ""),
      adEndpoint: adEndpoint.endsWith("/") ? adEndpoint : `${adEndpoint}/`,
      secret: { namespace: spec.clientPassword?.namespace || identity.metadata.namespace || "default", name: secretName },
      name,
    },
  };
}

/** Token-cache identity key: tokens depend on who is asked, not on which object named it. */
export function identityCacheKey(id: ResolvedIdentity): string {
  return id.type === 0
    ? `msi|${id.clientId.toLowerCase()}`
    : `sp${id.type}|${id.adEndpoint.toLowerCase()}|${id.tenantId.toLowerCase()}|${id.clientId.toLowerCase()}|${id.secret.namespace}/${id.secret.name}`;
}
