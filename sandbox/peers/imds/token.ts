// GET /metadata/identity/oauth2/token: picks the identity the way IMDS does (explicit id, else
// system-assigned, else the single user-assigned one) among those currently on the host.
import { randomUUID } from "node:crypto";
import { imdsErrors, type ImdsReply } from "./errors.ts";
import { encodeTestToken } from "./test-token.ts";

export interface AssignedIdentity {
  resourceId: string;
  clientId: string;
  principalId: string;
}

/** Where the peer learns which identities the host carries now (e.g. the ARM peer's identitiesOf). */
export type AssignmentSource = (hostResourceId: string) => Promise<AssignedIdentity[]> | AssignedIdentity[];

export interface TokenDeps {
  host: string;
  assignments: AssignmentSource;
  tenantId: string;
  systemAssigned: { clientId: string; principalId: string } | undefined;
  lifetimeSeconds: number;
}

const SELECTORS = ["client_id", "object_id", "msi_res_id", "mi_res_id"] as const;
const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** Validates the query; an error reply, or the resource and selector. */
export function parseTokenQuery(query: URLSearchParams): ImdsReply | { resource: string; selector?: [string, string] } {
  const seen = new Set<string>();
  for (const name of query.keys()) {
    if (seen.has(name)) return imdsErrors.repeatedParameter(name);
    seen.add(name);
  }
  const resource = query.get("resource");
  if (!resource) return imdsErrors.missingResource();
  const given = SELECTORS.filter((s) => query.has(s));
  if (given.length > 1) return imdsErrors.ambiguousIdentity();
  const name = given[0];
  return name === undefined ? { resource } : { resource, selector: [name, query.get(name) ?? ""] };
}

export async function resolveIdentity(deps: TokenDeps, selector: [string, string] | undefined): Promise<AssignedIdentity | ImdsReply> {
  const assigned = await deps.assignments(deps.host);
  const system = deps.systemAssigned ? { resourceId: deps.host, ...deps.systemAssigned } : undefined;
  const all = system ? [system, ...assigned] : assigned;
  let found: AssignedIdentity | undefined;
  if (selector === undefined) {
    if (system) return system;
    if (assigned.length > 1) return imdsErrors.multipleIdentities();
    found = assigned[0];
  } else {
    const [name, value] = selector;
    found = name === "client_id" ? all.find((i) => same(i.clientId, value))
      : name === "object_id" ? all.find((i) => same(i.principalId, value))
      : assigned.find((i) => same(i.resourceId, value));
  }
  return found ?? imdsErrors.identityNotFound();
}

export function issueToken(deps: TokenDeps, identity: AssignedIdentity, resource: string, selector: [string, string] | undefined): ImdsReply {
  const now = Math.floor(Date.now() / 1000);
  const exp = now + deps.lifetimeSeconds;
  const iss = `https://sts.windows.net/${deps.tenantId}/`;
  const token = encodeTestToken({
    aud: resource, iss, iat: now, nbf: now, exp, tid: deps.tenantId,
    appid: identity.clientId, oid: identity.principalId, sub: identity.principalId,
    xms_mirid: identity.resourceId, idtyp: "app", idp: iss, uti: randomUUID(), ver: "1.0",
  });
  const echo: Record<string, string> = {};
  if (selector?.[0] === "object_id") echo.object_id = selector[1];
  if (selector?.[0] === "msi_res_id" || selector?.[0] === "mi_res_id") echo.msi_res_id = selector[1];
  const life = String(deps.lifetimeSeconds);
  return {
    status: 200,
    body: {
      access_token: token,
      client_id: identity.clientId,
      expires_in: life,
      expires_on: String(exp),
      ext_expires_in: life,
      not_before: String(now),
      resource,
      token_type: "Bearer",
      ...echo,
    },
  };
}
