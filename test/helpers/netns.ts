// A tiny "cluster" made of network namespaces for real-interception tests (root only):
//   node ns: lo (+ 169.254.169.254/32 on a dummy link, or lo when the dummy driver is absent),
//            one veth per pod with its own /32, /32 routes to each pod; no route out.
//   pod ns:  lo, eth0 with the pod IP/32, default route via the node-side veth address.
// Everything lives in namespaces this module creates; the machine's own namespace is untouched
// (veth pairs are created directly inside the node namespace, the peer end moved to the pod).
import { execFile, execFileSync } from "node:child_process";
import { JsonLinesChild, type SpawnOptions } from "./json-lines-child.ts";

export const IMDS_IP = "169.254.169.254";

export interface NetnsPod {
  name: string;
  ns: string;
  ip: string;
  /** Node-side veth name (inside the node namespace) and its address (the pod's gateway). */
  nodeLink: string;
  gateway: string;
}

export interface NetnsCluster {
  runId: string;
  nodeNs: string;
  pods: NetnsPod[];
  /** "dummy" or "lo": which link in the node namespace holds 169.254.169.254. */
  imdsLink: string;
  /** Runs a command inside a namespace (`ip netns exec`). */
  exec(ns: string, cmd: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Starts `node --import tsx <script>` inside a namespace, speaking JSON lines. */
  spawn(ns: string, script: string, opts?: SpawnOptions): JsonLinesChild;
  /** Kills children, deletes the namespaces; idempotent. */
  destroy(): Promise<void>;
}

function ipSync(args: readonly string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

function run(file: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { encoding: "utf8" }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : 127;
      resolve({ code, stdout, stderr: err !== null && typeof err.code !== "number" ? `${stderr}${err.message}` : stderr });
    });
  });
}

/** Throws a clear error unless we are root with a working `ip netns` and iptables. */
export async function requireNetnsSupport(): Promise<void> {
  if (typeof process.getuid === "function" && process.getuid() !== 0) {
    throw new Error(`the netns e2e test needs root (uid 0), running as uid ${process.getuid()}: run it as root (CI does), e.g. sudo -E npm test`);
  }
  const ns = `podid-probe-${process.pid}`;
  const add = await run("ip", ["netns", "add", ns]);
  if (add.code !== 0) {
    throw new Error(`'ip netns add' failed (${add.code}): ${add.stderr.trim()} — needs iproute2 and CAP_SYS_ADMIN (a privileged container)`);
  }
  try {
    const ipt = await run("ip", ["netns", "exec", ns, "iptables", "-w", "5", "-t", "nat", "-S"]);
    if (ipt.code !== 0) throw new Error(`iptables inside a network namespace failed (${ipt.code}): ${ipt.stderr.trim()} — install the 'iptables' package (.ci/run does)`);
  } finally {
    await run("ip", ["netns", "del", ns]);
  }
}

export interface ClusterOptions {
  /** Pod names, e.g. ["pa", "pb"]; each gets 10.250.<run>.<2+i>. */
  pods: readonly string[];
}

// Best-effort cleanup if the test process dies without running `after` hooks.
const liveClusters = new Set<NetnsCluster>();
const liveChildren = new Set<JsonLinesChild>();
let exitHookInstalled = false;
let clusterCount = 0;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const cleanupSync = (): void => {
    for (const c of liveChildren) c.killNow();
    for (const cluster of liveClusters) {
      for (const ns of [cluster.nodeNs, ...cluster.pods.map((p) => p.ns)]) {
        try { ipSync(["netns", "del", ns]); } catch { /* already gone */ }
      }
    }
    liveClusters.clear();
  };
  process.on("exit", cleanupSync);
  // A signal skips "exit" listeners unless handled: clean up, then die as the signal would.
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => { cleanupSync(); process.kill(process.pid, sig); });
  }
}

export async function createNetnsCluster(opts: ClusterOptions): Promise<NetnsCluster> {
  installExitHook();
  // Unique per cluster (several may exist in one process); addresses only exist inside them.
  const runId = `${process.pid}-${++clusterCount}`;
  const octet = ((process.pid + clusterCount) % 250) + 1;
  const nodeNs = `podid-${runId}-node`;
  const pods: NetnsPod[] = opts.pods.map((name, i) => ({
    name, ns: `podid-${runId}-${name}`, ip: `10.250.${octet}.${2 + i}`,
    nodeLink: `veth-${name}`.slice(0, 15), gateway: `10.250.${octet}.${100 + i}`,
  }));
  const children = new Set<JsonLinesChild>();
  let destroyed = false;
  const cluster: NetnsCluster = {
    runId, nodeNs, pods, imdsLink: "lo",
    exec: (ns, cmd) => run("ip", ["netns", "exec", ns, ...cmd]),
    spawn(ns, script, spawnOpts = {}) {
      const child = new JsonLinesChild("ip", ["netns", "exec", ns, process.execPath, "--import", "tsx", script, ...(spawnOpts.args ?? [])], spawnOpts);
      children.add(child);
      liveChildren.add(child);
      child.exited.finally(() => { children.delete(child); liveChildren.delete(child); }).catch(() => undefined);
      return child;
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await Promise.all([...children].map((c) => c.kill()));
      for (const ns of [nodeNs, ...pods.map((p) => p.ns)]) await run("ip", ["netns", "del", ns]);
      liveClusters.delete(cluster);
    },
  };
  liveClusters.add(cluster);
  try {
    const ip = (args: readonly string[]): void => ipSync(args);
    ip(["netns", "add", nodeNs]);
    ip(["-n", nodeNs, "link", "set", "lo", "up"]);
    try {
      ip(["-n", nodeNs, "link", "add", "imds0", "type", "dummy"]);
      ip(["-n", nodeNs, "addr", "add", `${IMDS_IP}/32`, "dev", "imds0"]);
      ip(["-n", nodeNs, "link", "set", "imds0", "up"]);
      cluster.imdsLink = "imds0";
    } catch {
      // No dummy driver (containers without the module): lo holds the address just as well.
      ip(["-n", nodeNs, "addr", "add", `${IMDS_IP}/32`, "dev", "lo"]);
    }
    for (const p of pods) {
      ip(["netns", "add", p.ns]);
      ip(["-n", p.ns, "link", "set", "lo", "up"]);
      ip(["-n", nodeNs, "link", "add", p.nodeLink, "type", "veth", "peer", "name", "eth0", "netns", p.ns]);
      ip(["-n", nodeNs, "addr", "add", `${p.gateway}/32`, "dev", p.nodeLink]);
      ip(["-n", nodeNs, "link", "set", p.nodeLink, "up"]);
      ip(["-n", nodeNs, "route", "add", `${p.ip}/32`, "dev", p.nodeLink]);
      ip(["-n", p.ns, "addr", "add", `${p.ip}/32`, "dev", "eth0"]);
      ip(["-n", p.ns, "link", "set", "eth0", "up"]);
      ip(["-n", p.ns, "route", "add", `${p.gateway}/32`, "dev", "eth0"]);
      ip(["-n", p.ns, "route", "add", "default", "via", p.gateway, "dev", "eth0"]);
    }
  } catch (err) {
    await cluster.destroy();
    throw err;
  }
  return cluster;
}

/** Namespaces of one cluster (names start with `podid-<runId>-`), to assert cleanup. */
export async function leftoverNamespaces(runId: string): Promise<string[]> {
  const r = await run("ip", ["netns", "list"]);
  return r.stdout.split("\n").map((l) => l.split(" ")[0] ?? "").filter((n) => n.startsWith(`podid-${runId}-`));
}
