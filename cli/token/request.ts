// `podid token`: asks the NMI on the pod's node for a token on the pod's behalf, through NMI's
// `/host/token/` endpoint (headers podns/podname), as aad-pod-identity's host API did. Reached
// either via the API server's pod proxy or directly (--nmi-url, e.g. after kubectl
// port-forward): NMI serves /host/token only to loopback callers, and in production its token
// port listens on 127.0.0.1 only, so the proxy path works only where NMI listens on the pod IP
// (the sandbox); port-forward into the hostNetwork NMI pod arrives from 127.0.0.1 and works.
import { z } from "zod";
import { CliError, EXIT } from "../errors.ts";
import { httpGet, type HttpReply } from "../http.ts";
import type { KubeApi } from "../kube/api.ts";
import { findNmiPods } from "../kube/nmi-pods.ts";
import { readPod } from "../kube/reads.ts";
import type { NmiLocator } from "../args.ts";
import { redactClientId } from "../render/redact.ts";

export interface TokenOptions {
  namespace: string;
  pod: string;
  resource: string;
  clientId?: string;
  resourceId?: string;
  nmi: NmiLocator;
  nmiUrl?: string;
  nmiPort?: number;
  showToken: boolean;
  timeoutMs: number;
}

export interface TokenResult {
  pod: string;
  node: string;
  via: { kind: "proxy"; nmiPod: string; port: number } | { kind: "direct"; url: string };
  /** Client id NMI used (redacted). */
  clientId: string | undefined;
  resource: string | undefined;
  /** `aud` claim of the token when it is a JWT, else the resource. */
  audience: string | undefined;
  tokenType: string | undefined;
  expiresOn: string | undefined;
  expiresInSeconds: number | undefined;
  auxiliaryTokens: number;
  /** Only with --show-token. */
  accessToken?: string;
}

const TokenSchema = z.looseObject({
  access_token: z.string(),
  client_id: z.string().optional(),
  expires_in: z.string().optional(),
  expires_on: z.string().optional(),
  resource: z.string().optional(),
  token_type: z.string().optional(),
});
const HostTokenSchema = z.looseObject({ token: TokenSchema, clientid: z.string().optional(), auxiliaryTokens: z.array(z.unknown()).optional() });
const ImdsErrorSchema = z.looseObject({ error: z.string(), error_description: z.string().optional() });
const KubeStatusSchema = z.looseObject({ kind: z.literal("Status"), message: z.string().optional() });

export async function requestToken(api: KubeApi, o: TokenOptions): Promise<TokenResult> {
  const pod = await readPod(api, o.namespace, o.pod);
  if (!pod) throw new CliError(`pod "${o.pod}" not found in namespace "${o.namespace}"`, `kubectl get pods -n ${o.namespace}`);
  const node = pod.spec.nodeName;
  if (node === undefined) throw new CliError(`pod ${o.namespace}/${o.pod} is not scheduled: no NMI serves it yet`, undefined, EXIT.problem);
  const query = new URLSearchParams({ resource: o.resource });
  if (o.clientId !== undefined) query.set("client_id", o.clientId);
  if (o.resourceId !== undefined) query.set("msi_res_id", o.resourceId);
  const headers = { podns: o.namespace, podname: o.pod };
  let reply: HttpReply;
  let via: TokenResult["via"];
  if (o.nmiUrl !== undefined) {
    const url = new URL(`${o.nmiUrl.replace(/\/+$/, "")}/host/token/?${query.toString()}`);
    via = { kind: "direct", url: url.origin };
    reply = await httpGet(url, { timeoutMs: o.timeoutMs, headers, what: `NMI at ${url.origin}` });
  } else {
    const [nmi] = await findNmiPods(api, o.nmi, node);
    if (!nmi) {
      throw new CliError(`no NMI pod on node ${node} (namespace ${o.nmi.namespace}, selector ${o.nmi.selector})`, "check the NMI DaemonSet, or pass --nmi-url", EXIT.problem);
    }
    const port = o.nmiPort ?? nmi.tokenPort;
    via = { kind: "proxy", nmiPod: `${nmi.namespace}/${nmi.name}`, port };
    const path = `/api/v1/namespaces/${encodeURIComponent(nmi.namespace)}/pods/${encodeURIComponent(nmi.name)}:${port}/proxy/host/token/?${query.toString()}`;
    reply = await api.raw(path, headers);
  }
  return interpret(reply, o, node, via);
}

function interpret(reply: HttpReply, o: TokenOptions, node: string, via: TokenResult["via"]): TokenResult {
  const json = safeJson(reply.text);
  if (reply.status === 200) {
    const parsed = HostTokenSchema.safeParse(json);
    if (!parsed.success) throw new CliError("NMI answered 200 but not with a /host/token/ body");
    const t = parsed.data.token;
    const claims = jwtClaims(t.access_token);
    const expiresOn = Number(t.expires_on);
    const result: TokenResult = {
      pod: `${o.namespace}/${o.pod}`, node, via,
      clientId: redactClientId(parsed.data.clientid ?? t.client_id),
      resource: t.resource,
      audience: typeof claims?.aud === "string" ? claims.aud : t.resource,
      tokenType: t.token_type,
      expiresOn: Number.isFinite(expiresOn) && expiresOn > 0 ? new Date(expiresOn * 1000).toISOString() : undefined,
      expiresInSeconds: t.expires_in === undefined || Number.isNaN(Number(t.expires_in)) ? undefined : Number(t.expires_in),
      auxiliaryTokens: parsed.data.auxiliaryTokens?.length ?? 0,
    };
    if (o.showToken) result.accessToken = t.access_token;
    return result;
  }
  const code = reply.headers["x-podid-error"];
  const nmiError = ImdsErrorSchema.safeParse(json);
  const forward = via.kind === "proxy"
    ? `NMI's token port listens on 127.0.0.1 in production: kubectl -n ${via.nmiPod.split("/")[0] ?? ""} port-forward pod/${via.nmiPod.split("/")[1] ?? ""} 2579:${via.port}, then --nmi-url http://127.0.0.1:2579`
    : undefined;
  if (typeof code === "string" || nmiError.success) {
    const what = typeof code === "string" ? code : nmiError.success ? nmiError.data.error : "";
    const desc = nmiError.success ? nmiError.data.error_description ?? "" : reply.text.slice(0, 200);
    const hostOnly = code === "PODID_NMI_HOST_ONLY";
    throw new CliError(`NMI refused the token request: ${reply.status} ${what}${desc ? ` — ${desc}` : ""}`, hostOnly ? forward : undefined, hostOnly ? EXIT.usage : EXIT.problem);
  }
  const status = KubeStatusSchema.safeParse(json);
  const message = status.success ? status.data.message ?? "" : reply.text.slice(0, 200);
  throw new CliError(`could not reach NMI (${reply.status}): ${message}`, forward);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Claims of a JWT (no verification: only to show the audience); undefined otherwise. */
export function jwtClaims(token: string): Record<string, unknown> | undefined {
  const part = token.split(".")[1];
  if (part === undefined) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return claims !== null && typeof claims === "object" ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
