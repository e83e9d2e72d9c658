// In-memory nat table that answers like iptables-nft 1.8 (listings, exit codes, stderr), so
// the manager is tested against behaviour rather than against a script of expected calls.
// It can also route a packet through PREROUTING, to check interception never lapses.
import type { IptablesRunner, RunResult } from "../../nmi/iptables/runner.ts";

const BUILTIN = ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"];

export interface Packet { src: string; dst: string; proto: "tcp" | "udp"; dport: number }

export class FakeIptables implements IptablesRunner {
  readonly chains = new Map<string, string[][]>(BUILTIN.map((c) => [c, []]));
  /** Every call (args as given), for order assertions. */
  readonly calls: string[][] = [];
  /** After each successful mutation: where a pod packet to IMDS would go. */
  readonly interceptionTrace: (string | null)[] = [];
  tracePacket: Packet = { src: "10.244.0.7", dst: "169.254.169.254", proto: "tcp", dport: 80 };
  /** Return a result to fail a call (checked before executing it). */
  fault: ((args: string[]) => RunResult | undefined) | undefined;

  async run(argsIn: readonly string[]): Promise<RunResult> {
    const args = [...argsIn];
    this.calls.push([...argsIn]);
    const injected = this.fault?.(args);
    if (injected !== undefined) return injected;
    if (args[0] === "--version") return ok("iptables v1.8.9 (nf_tables)\n");
    if (args[0] === "-w") args.splice(0, /^\d+$/.test(args[1] ?? "") ? 2 : 1);
    if (args[0] !== "-t" || args[1] !== "nat") return fail(2, "fake: only -t nat is supported");
    args.splice(0, 2);
    const r = this.exec(args);
    if (r.code === 0 && ["-N", "-X", "-F", "-A", "-I", "-D"].includes(args[0] ?? "")) {
      this.interceptionTrace.push(this.route(this.tracePacket));
    }
    return r;
  }

  private exec(args: string[]): RunResult {
    const [op, chain, ...rest] = args;
    if (op === "-S") {
      if (chain === undefined) return ok([...this.chains].map(([c, rules]) => listChain(c, rules)).join(""));
      const rules = this.chains.get(chain);
      if (rules === undefined) return fail(1, `iptables v1.8.9 (nf_tables): chain \`${chain}' in table \`nat' is incompatible, use 'nft' tool.\n`);
      return ok(listChain(chain, rules));
    }
    if (chain === undefined) return fail(2, "fake: missing chain");
    const rules = this.chains.get(chain);
    if (op === "-N") {
      if (rules !== undefined) return fail(1, "iptables v1.8.9 (nf_tables): Chain already exists\n");
      this.chains.set(chain, []);
      return ok("");
    }
    if (rules === undefined) return fail(1, `iptables v1.8.9 (nf_tables): Chain '${chain}' does not exist\n`);
    switch (op) {
      case "-F": rules.length = 0; return ok("");
      case "-X":
        if (BUILTIN.includes(chain)) return fail(2, "iptables v1.8.9 (nf_tables): Cannot delete built-in chain\n");
        if (rules.length > 0) return fail(1, "iptables v1.8.9 (nf_tables): Directory not empty\n");
        if (this.referenced(chain)) return fail(1, "iptables v1.8.9 (nf_tables): Device or resource busy\n");
        this.chains.delete(chain); return ok("");
      case "-A": return this.withTarget(rest, () => { rules.push(rest); });
      case "-I": {
        const pos = /^\d+$/.test(rest[0] ?? "") ? Number(rest.shift()) : 1;
        if (pos < 1 || pos > rules.length + 1) return fail(1, "iptables v1.8.9 (nf_tables): Index of insertion too big.\n");
        return this.withTarget(rest, () => { rules.splice(pos - 1, 0, rest); });
      }
      case "-D": {
        if (rest.length === 1 && /^\d+$/.test(rest[0] ?? "")) {
          const pos = Number(rest[0]);
          if (pos < 1 || pos > rules.length) return fail(1, "iptables v1.8.9 (nf_tables): Index of deletion too big.\n");
          rules.splice(pos - 1, 1); return ok("");
        }
        const i = rules.findIndex((r) => canon(r) === canon(rest));
        if (i < 0) return fail(1, "iptables: Bad rule (does a matching rule exist in that chain?).\n");
        rules.splice(i, 1); return ok("");
      }
      case "-C":
        return rules.some((r) => canon(r) === canon(rest)) ? ok("") : fail(1, "iptables: Bad rule (does a matching rule exist in that chain?).\n");
      default: return fail(2, `fake: unsupported ${op}`);
    }
  }

  private withTarget(spec: string[], apply: () => void): RunResult {
    const t = target(spec);
    if (t !== undefined && !isVerdict(t) && !this.chains.has(t)) {
      return fail(2, `iptables v1.8.9 (nf_tables): Chain '${t}' does not exist\n`);
    }
    apply();
    return ok("");
  }

  private referenced(chain: string): boolean {
    return [...this.chains.values()].some((rules) => rules.some((r) => target(r) === chain));
  }

  /** Walks PREROUTING for `p`: "DNAT <addr:port>" or null (not intercepted). */
  route(p: Packet, chain = "PREROUTING", depth = 0): string | null {
    if (depth > 8) return null;
    for (const spec of this.chains.get(chain) ?? []) {
      if (!matches(spec, p)) continue;
      const t = target(spec);
      if (t === "DNAT") return `DNAT ${spec[spec.indexOf("--to-destination") + 1] ?? "?"}`;
      if (t === "RETURN" || t === "ACCEPT") return null;
      if (t !== undefined && this.chains.has(t)) {
        const r = this.route(p, t, depth + 1);
        if (r !== null) return r;
      }
    }
    return null;
  }
}

function ok(stdout: string): RunResult { return { code: 0, stdout, stderr: "" }; }
function fail(code: number, stderr: string): RunResult { return { code, stdout: "", stderr }; }
function isVerdict(t: string): boolean { return ["ACCEPT", "DROP", "RETURN", "DNAT", "SNAT", "MASQUERADE", "REDIRECT"].includes(t); }
function target(spec: readonly string[]): string | undefined {
  const i = spec.indexOf("-j");
  return i < 0 ? undefined : spec[i + 1];
}

/** As iptables-nft lists it: `-m tcp` made explicit, addresses with masks. */
function display(spec: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < spec.length; i++) {
    const tok = spec[i] ?? "";
    if (tok === "--dport" && !out.includes("-m")) out.push("-m", "tcp");
    if ((out[out.length - 1] === "-s" || out[out.length - 1] === "-d") && !tok.includes("/")) { out.push(`${tok}/32`); continue; }
    out.push(tok);
  }
  return out;
}
function canon(spec: readonly string[]): string { return display(spec).join(" "); }
function quote(t: string): string { return /\s/.test(t) ? `"${t.replace(/"/g, "\\\"")}"` : t; }
function listChain(chain: string, rules: readonly string[][]): string {
  const head = BUILTIN.includes(chain) ? `-P ${chain} ACCEPT\n` : `-N ${chain}\n`;
  return head + rules.map((r) => `-A ${chain} ${display(r).map(quote).join(" ")}\n`).join("");
}

function ipToInt(ip: string): number {
  return ip.split(".").reduce((acc, o) => ((acc << 8) | Number(o)) >>> 0, 0);
}
function inCidr(ip: string, cidr: string): boolean {
  const [net = "", bitsStr = "32"] = cidr.split("/");
  const bits = Number(bitsStr);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (ipToInt(ip) & mask) === (ipToInt(net) & mask);
}
function matches(spec: readonly string[], p: Packet): boolean {
  let negate = false;
  for (let i = 0; i < spec.length; i++) {
    const tok = spec[i] ?? "";
    const val = spec[i + 1] ?? "";
    let m: boolean | undefined;
    if (tok === "!") { negate = true; continue; }
    if (tok === "-s") m = inCidr(p.src, val);
    else if (tok === "-d") m = inCidr(p.dst, val);
    else if (tok === "-p") m = p.proto === val;
    else if (tok === "--dport") m = p.dport === Number(val);
    else if (tok === "-j" || tok === "--to-destination" || tok === "-m" || tok === "--comment") { i++; continue; }
    if (m === undefined) continue;
    i++;
    if (m === negate) return false;
    negate = false;
  }
  return true;
}
