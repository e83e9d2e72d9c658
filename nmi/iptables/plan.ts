// Pure planning: observed iptables state → the commands that bring it to the expected state.
// Repairs are ordered so interception never lapses: correct rules are inserted *before* stale
// ones are deleted (a window with no DNAT would let pods reach the real IMDS, i.e. the node's
// identities).
import {
  chainRuleSpecs, jumpRuleSpec, jumpsTo, NAT_TABLE, PREROUTING, sameSpec,
  type InterceptionConfig,
} from "./rules.ts";

export interface ObservedState {
  /** Rule specs of our chain in order, or null when the chain does not exist. */
  chainRules: string[][] | null;
  /** Rule specs of nat PREROUTING in order. */
  prerouting: string[][];
}

export interface Action {
  /** iptables arguments after `-t nat` (the manager adds `-w` and the table). */
  args: string[];
  why: string;
}

export interface Drift {
  chain: "ok" | "missing" | "differs";
  /** ok: exactly one plain jump, first in PREROUTING. */
  jump: "ok" | "missing" | "not-first" | "duplicated" | "modified";
}

export function detectDrift(cfg: InterceptionConfig, s: ObservedState): Drift {
  const expected = chainRuleSpecs(cfg);
  let chain: Drift["chain"] = "ok";
  if (s.chainRules === null) chain = "missing";
  else if (s.chainRules.length !== expected.length || s.chainRules.some((r, i) => !sameSpec(r, expected[i] ?? []))) chain = "differs";

  const plain = jumpRuleSpec(cfg);
  const jumps = s.prerouting.flatMap((r, i) => (jumpsTo(r, cfg.chain) ? [i] : []));
  let jump: Drift["jump"] = "ok";
  if (jumps.length === 0) jump = "missing";
  else if (jumps.some((i) => !sameSpec(s.prerouting[i] ?? [], plain))) jump = "modified";
  else if (jumps.length > 1) jump = "duplicated";
  else if (jumps[0] !== 0) jump = "not-first";
  return { chain, jump };
}

export function isClean(d: Drift): boolean {
  return d.chain === "ok" && d.jump === "ok";
}

/** Commands for the chain's contents. */
export function planChain(cfg: InterceptionConfig, s: ObservedState): Action[] {
  const expected = chainRuleSpecs(cfg);
  const c = cfg.chain;
  if (s.chainRules === null) {
    return [
      { args: ["-N", c], why: "create chain" },
      ...expected.map((spec) => ({ args: ["-A", c, ...spec], why: "append rule" })),
    ];
  }
  if (detectDrift(cfg, s).chain === "ok") return [];
  // Gapless replace: new rules go on top (RETURN at position 2 makes the rest dead), then
  // the stale rules, now at positions expected.length+1.., are removed.
  const stale = s.chainRules.length;
  return [
    ...expected.map((spec, i) => ({ args: ["-I", c, String(i + 1), ...spec], why: "insert expected rule above stale ones" })),
    ...Array.from({ length: stale }, () => ({ args: ["-D", c, String(expected.length + 1)], why: "delete stale rule" })),
  ];
}

/** Commands that leave exactly one plain jump, first in PREROUTING. */
export function planJump(cfg: InterceptionConfig, s: ObservedState): Action[] {
  const plain = jumpRuleSpec(cfg);
  const pr = s.prerouting;
  const jumps = pr.flatMap((r, i) => (jumpsTo(r, cfg.chain) ? [i] : []));
  const firstIsPlain = pr[0] !== undefined && sameSpec(pr[0], plain);
  if (firstIsPlain && jumps.length === 1) return [];

  const actions: Action[] = [];
  let shift = 0;
  if (!firstIsPlain) {
    actions.push({ args: ["-I", PREROUTING, "1", ...plain], why: "jump to our chain first" });
    shift = 1;
  }
  const extra = jumps.filter((i) => !(firstIsPlain && i === 0));
  // Plain duplicates cannot be deleted by spec (that removes the *first* match, ours), so
  // they go by position, highest first so earlier positions stay valid; then the odd jumps
  // (extra matches) by their own spec, which can never match our plain rule.
  const plainDupes = extra.filter((i) => sameSpec(pr[i] ?? [], plain)).sort((a, b) => b - a);
  for (const i of plainDupes) actions.push({ args: ["-D", PREROUTING, String(i + 1 + shift)], why: "delete duplicate jump" });
  for (const i of extra) {
    const spec = pr[i] ?? [];
    if (!sameSpec(spec, plain)) actions.push({ args: ["-D", PREROUTING, ...spec], why: "delete modified jump" });
  }
  return actions;
}

/** Full repair: chain first (a jump must never point at a missing chain), then the jump. */
export function planEnsure(cfg: InterceptionConfig, s: ObservedState): Action[] {
  return [...planChain(cfg, s), ...planJump(cfg, s)];
}

/** Removal (SIGTERM): every jump first (a referenced chain cannot be deleted), then flush, delete. */
export function planRemove(cfg: InterceptionConfig, s: ObservedState): Action[] {
  const actions: Action[] = s.prerouting
    .filter((r) => jumpsTo(r, cfg.chain))
    .map((spec) => ({ args: ["-D", PREROUTING, ...spec], why: "delete jump" }));
  if (s.chainRules !== null) {
    actions.push({ args: ["-F", cfg.chain], why: "flush chain" }, { args: ["-X", cfg.chain], why: "delete chain" });
  }
  return actions;
}

/** Renders an action as the shell command an operator could paste. */
export function renderAction(a: Action, binary = "iptables"): string {
  return [binary, "-t", NAT_TABLE, ...a.args].map((t) => (/^[\w./:!-]+$/.test(t) ? t : JSON.stringify(t))).join(" ");
}
