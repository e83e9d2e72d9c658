// Path classification (pure). The token path is matched strictly: IMDS (and proxies in
// between) normalise backslashes, percent-encodings, duplicate slashes and case in ways we
// cannot fully know, so anything that *could* reach IMDS's token handler after such
// normalisation but is not the canonical spelling is rejected, never proxied
// (GHSA-p82q-rxpm-hjpc: `\metadata\identity\oauth2\token` bypassed the old NMI).

export type PathClass =
  | { kind: "token"; reason: "canonical-token-path" }
  | { kind: "reject"; reason: "non-canonical-token-path" | "not-origin-form" }
  | { kind: "host-token"; reason: "host-token-path" }
  | { kind: "blocked"; reason: "instance-metadata-blocked" }
  | { kind: "proxy"; reason: "other-metadata-path" }
  | { kind: "not-found"; reason: "unknown-path" };

/**
 * Canonical: `/metadata/identity/oauth2/token`, optional single trailing `/`. The `metadata`
 * segment is case-insensitive (as IMDS and the old NMI's router); the rest must be lowercase,
 * so a mixed-case variant that IMDS might still accept is never proxied.
 */
const CANONICAL_TOKEN = /^\/[Mm][Ee][Tt][Aa][Dd][Aa][Tt][Aa]\/identity\/oauth2\/token\/?$/;
/** Anything that, once normalised, names identity…oauth2…token (as the old NMI's 400 route). */
const TOKEN_LIKE = /identity.*oauth2.*token/;
const HOST_TOKEN = /^\/host\/token\/?$/;

/** Decodes percent-escapes repeatedly (double encoding), tolerating malformed sequences. */
function decodeRepeatedly(s: string): string {
  let current = s;
  for (let i = 0; i < 5; i++) {
    const next = current.replace(/%([0-9a-fA-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    if (next === current) break;
    current = next;
  }
  return current;
}

/** The most permissive reading a downstream server might apply to the path. */
export function normalisePath(rawPath: string): string {
  let p = decodeRepeatedly(rawPath).replace(/\\/g, "/").toLowerCase();
  p = [...p].filter((ch) => ch.charCodeAt(0) > 0x20 && ch !== "\u007f").join("").replace(/\/{2,}/g, "/");
  const out: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg.replace(/;.*$/, ""));
  }
  return `/${out.join("/")}`;
}

/** `rawTarget` is the request target as received (path + optional query). */
export function classifyPath(rawTarget: string, blockInstanceMetadata: boolean): PathClass {
  if (!rawTarget.startsWith("/")) return { kind: "reject", reason: "not-origin-form" };
  const q = rawTarget.indexOf("?");
  const rawPath = q === -1 ? rawTarget : rawTarget.slice(0, q);
  if (CANONICAL_TOKEN.test(rawPath)) return { kind: "token", reason: "canonical-token-path" };
  const norm = normalisePath(rawPath);
  if (TOKEN_LIKE.test(norm)) return { kind: "reject", reason: "non-canonical-token-path" };
  if (HOST_TOKEN.test(rawPath)) return { kind: "host-token", reason: "host-token-path" };
  if (norm === "/metadata" || norm.startsWith("/metadata/")) {
    if (blockInstanceMetadata && (norm === "/metadata/instance" || norm.startsWith("/metadata/instance/"))) {
      return { kind: "blocked", reason: "instance-metadata-blocked" };
    }
    return { kind: "proxy", reason: "other-metadata-path" };
  }
  return { kind: "not-found", reason: "unknown-path" };
}
