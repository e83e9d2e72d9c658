// Human rendering of `podid token`: who the token is for and how long it lives; the token
// itself only when asked for.
import { dash, fields } from "../render/table.ts";
import type { TokenResult } from "./request.ts";

export function renderToken(t: TokenResult): string {
  const via = t.via.kind === "proxy" ? `NMI ${t.via.nmiPod} (port ${t.via.port}) via the API server's pod proxy` : `NMI at ${t.via.url}`;
  const pairs: Array<[string, string]> = [
    ["Pod", `${t.pod} (node ${t.node})`],
    ["Via", via],
    ["Client id", dash(t.clientId)],
    ["Audience", dash(t.audience)],
    ["Expires", t.expiresOn === undefined ? "-" : `${t.expiresOn}${t.expiresInSeconds === undefined ? "" : ` (in ${t.expiresInSeconds}s)`}`],
    ["Type", dash(t.tokenType)],
  ];
  if (t.auxiliaryTokens > 0) pairs.push(["Aux tokens", String(t.auxiliaryTokens)]);
  pairs.push(["Token", t.accessToken ?? "(hidden; --show-token prints it)"]);
  return `${fields(pairs)}\n`;
}
