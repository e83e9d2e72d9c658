// Pure description of the interception rules and of iptables' `-S` listings.
// `iptables -S` prints rules in iptables-restore syntax; we tokenise those lines and compare
// them to what we would have written, after the normalisations iptables itself applies.

export const DEFAULT_CHAIN = "aad-metadata";
export const NAT_TABLE = "nat";
export const PREROUTING = "PREROUTING";
export const DEFAULT_METADATA_IP = "169.254.169.254";
export const DEFAULT_METADATA_PORT = 80;

export interface InterceptionConfig {
  /** Chain name; aad-pod-identity's name so a migration replaces, not duplicates, the rules. */
  chain: string;
  metadataIp: string;
  metadataPort: number;
  /** Where NMI listens (DNAT target); usually 127.0.0.1. */
  targetAddress: string;
  targetPort: number;
}

export function interceptionConfig(
  partial: Partial<InterceptionConfig> & Pick<InterceptionConfig, "targetAddress" | "targetPort">,
): InterceptionConfig {
  const cfg: InterceptionConfig = {
    chain: partial.chain ?? DEFAULT_CHAIN,
    metadataIp: partial.metadataIp ?? DEFAULT_METADATA_IP,
    metadataPort: partial.metadataPort ?? DEFAULT_METADATA_PORT,
    targetAddress: partial.targetAddress,
    targetPort: partial.targetPort,
  };
  validateConfig(cfg);
  return cfg;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
// iptables chain names: at most 28 characters, no whitespace; we also refuse leading '-' and
// the built-in verdicts so a typo cannot turn a jump into ACCEPT/DROP.
const CHAIN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,27}$/;
const RESERVED = new Set(["ACCEPT", "DROP", "RETURN", "QUEUE", "REJECT", "DNAT", "SNAT", "MASQUERADE"]);

function validateConfig(cfg: InterceptionConfig): void {
  if (!CHAIN.test(cfg.chain) || RESERVED.has(cfg.chain.toUpperCase())) {
    throw new Error(`invalid iptables chain name: ${JSON.stringify(cfg.chain)}`);
  }
  for (const [name, ip] of [["metadataIp", cfg.metadataIp], ["targetAddress", cfg.targetAddress]] as const) {
    if (!IPV4.test(ip)) throw new Error(`${name} must be an IPv4 address, got ${JSON.stringify(ip)}`);
  }
  for (const [name, port] of [["metadataPort", cfg.metadataPort], ["targetPort", cfg.targetPort]] as const) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${name} must be a TCP port (1-65535), got ${port}`);
  }
}

/** Rule specs (arguments after `-A <chain>`) of our chain, in order. */
export function chainRuleSpecs(cfg: InterceptionConfig): string[][] {
  return [
    ["!", "-s", "127.0.0.1/32", "-d", `${cfg.metadataIp}/32`, "-p", "tcp", "--dport", String(cfg.metadataPort),
      "-j", "DNAT", "--to-destination", `${cfg.targetAddress}:${cfg.targetPort}`],
    ["-j", "RETURN"],
  ];
}

/** Spec of the PREROUTING rule that sends traffic through our chain. */
export function jumpRuleSpec(cfg: InterceptionConfig): string[] {
  return ["-j", cfg.chain];
}

/**
 * Splits one `-S` line into arguments. iptables double-quotes arguments containing spaces
 * (comments) and backslash-escapes quotes inside them.
 */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inToken = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charAt(i);
    if (quoted) {
      if (c === "\\" && i + 1 < line.length) { cur += line.charAt(++i); continue; }
      if (c === "\"") { quoted = false; continue; }
      cur += c;
    } else if (c === "\"") {
      quoted = true; inToken = true;
    } else if (c === " " || c === "\t") {
      if (inToken) { out.push(cur); cur = ""; inToken = false; }
    } else {
      cur += c; inToken = true;
    }
  }
  if (quoted) throw new Error(`unterminated quote in iptables listing: ${line}`);
  if (inToken) out.push(cur);
  return out;
}

export interface ListedRule {
  chain: string;
  /** Arguments after `-A <chain>`, as listed. */
  spec: string[];
}

/**
 * Parses `iptables -S [chain]` output into its `-A` rules, in order. Policy (`-P`), chain
 * (`-N`) and comment lines (iptables-nft prints "# Warning: iptables-legacy tables present")
 * are not rules.
 */
export function parseListing(stdout: string): ListedRule[] {
  const rules: ListedRule[] = [];
  for (const raw of stdout.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const tokens = tokenize(line);
    if (tokens[0] !== "-A") continue;
    const chain = tokens[1];
    if (chain === undefined) throw new Error(`malformed iptables listing line: ${line}`);
    rules.push({ chain, spec: tokens.slice(2) });
  }
  return rules;
}

/**
 * Canonical form used for comparison: iptables adds an implicit `-m tcp` before `--dport`
 * and may print `/32` masks or not depending on the backend.
 */
export function normalizeSpec(spec: readonly string[]): string {
  const out: string[] = [];
  for (let i = 0; i < spec.length; i++) {
    const tok = spec[i] ?? "";
    const prev = out[out.length - 1];
    if (tok === "-m" && (spec[i + 1] === "tcp" || spec[i + 1] === "udp") && out.includes(spec[i + 1] ?? "")) {
      i++; // implicit protocol match added by iptables after `-p tcp`
      continue;
    }
    if ((prev === "-s" || prev === "-d" || prev === "--source" || prev === "--destination") && /^[\d.]+$/.test(tok)) {
      out.push(`${tok}/32`);
      continue;
    }
    out.push(tok);
  }
  return out.join(" ");
}

export function sameSpec(a: readonly string[], b: readonly string[]): boolean {
  return normalizeSpec(a) === normalizeSpec(b);
}

/** True when the rule sends traffic to `chain` (with or without extra matches). */
export function jumpsTo(spec: readonly string[], chain: string): boolean {
  for (let i = 0; i < spec.length - 1; i++) {
    if ((spec[i] === "-j" || spec[i] === "--jump" || spec[i] === "-g" || spec[i] === "--goto") && spec[i + 1] === chain) return true;
  }
  return false;
}
