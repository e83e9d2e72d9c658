// One error type for every iptables failure, classified from exit code and stderr so callers
// (and operators reading logs) get the missing capability or package, not a raw exit status.

export type IptablesErrorKind =
  | "missing-binary" // iptables is not installed / not on PATH
  | "not-permitted" // no CAP_NET_ADMIN (not root, or capability dropped)
  | "lock" // another process held the xtables lock for longer than our -w wait
  | "unsupported" // kernel/userspace lacks the nat table or the DNAT target
  | "no-chain" // the chain does not exist (control flow, not fatal)
  | "exists" // the chain already exists (control flow, not fatal)
  | "no-rule" // -D/-C found no matching rule (control flow, not fatal)
  | "drift-persists" // rules were rewritten but a re-read still differs
  | "failed"; // anything else

const CODES: Record<IptablesErrorKind, string> = {
  "missing-binary": "PODID_ERR_IPTABLES_MISSING",
  "not-permitted": "PODID_ERR_IPTABLES_NOT_PERMITTED",
  lock: "PODID_ERR_IPTABLES_LOCK",
  unsupported: "PODID_ERR_IPTABLES_UNSUPPORTED",
  "no-chain": "PODID_ERR_IPTABLES_NO_CHAIN",
  exists: "PODID_ERR_IPTABLES_EXISTS",
  "no-rule": "PODID_ERR_IPTABLES_NO_RULE",
  "drift-persists": "PODID_ERR_IPTABLES_DRIFT_PERSISTS",
  failed: "PODID_ERR_IPTABLES_FAILED",
};

const HINTS: Partial<Record<IptablesErrorKind, string>> = {
  "missing-binary":
    "the iptables binary was not found: install the 'iptables' package (Debian/Ubuntu: apt-get install iptables; " +
    "it provides both iptables-nft and iptables-legacy) or point --iptables-command at it",
  "not-permitted":
    "iptables was refused: NMI needs CAP_NET_ADMIN (and CAP_NET_RAW) in the node's network namespace " +
    "(run as root with hostNetwork: true and securityContext.capabilities.add [NET_ADMIN, NET_RAW]) " +
    "and write access to /run/xtables.lock",
  lock: "the xtables lock (/run/xtables.lock) stayed busy past the -w wait: another iptables user (kube-proxy, CNI) holds it; mount /run/xtables.lock from the host so waits are shared",
  unsupported:
    "the kernel or iptables lacks the nat table or the DNAT target (modules iptable_nat/nft_chain_nat, nf_nat)",
};

export class IptablesError extends Error {
  readonly code: string;
  constructor(
    readonly kind: IptablesErrorKind,
    message: string,
    readonly args: readonly string[] = [],
    readonly exitCode: number | null = null,
    readonly stderr = "",
  ) {
    const hint = HINTS[kind];
    super(hint === undefined ? message : `${message}: ${hint}`);
    this.name = "IptablesError";
    this.code = CODES[kind];
  }
}

/** Classifies a non-zero iptables exit from its status and stderr. Pure. */
export function classifyFailure(exitCode: number | null, stderr: string): IptablesErrorKind {
  const s = stderr.toLowerCase();
  if (/permission denied|you must be root|operation not permitted/.test(s)) return "not-permitted";
  if (/xtables lock|holding the lock|another app is currently holding/.test(s)) return "lock";
  if (/chain already exists|file exists/.test(s)) return "exists";
  if (/bad rule|does a matching rule exist/.test(s)) return "no-rule";
  if (/no chain\/target\/match by that name|chain '[^']*' does not exist|doesn't exist|is incompatible, use 'nft' tool/.test(s)) return "no-chain";
  if (/can't initialize iptables table|table does not exist|couldn't load target|couldn't load match|protocol not supported|unknown option "--to-destination"/.test(s)) return "unsupported";
  // iptables exits 4 on resource problems (lock contention, permission) when stderr is terse.
  if (exitCode === 4 && s.trim() === "") return "lock";
  return "failed";
}

/** Maps a spawn error (the binary could not be started at all). */
export function classifySpawnError(err: { code?: string | number | null | undefined }): IptablesErrorKind {
  if (err.code === "ENOENT") return "missing-binary";
  if (err.code === "EACCES" || err.code === "EPERM") return "not-permitted";
  return "failed";
}

export function isIptablesError(err: unknown, kind?: IptablesErrorKind): err is IptablesError {
  return err instanceof IptablesError && (kind === undefined || err.kind === kind);
}
