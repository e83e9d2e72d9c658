// DNAT to 127.0.0.1 of a packet that arrived on another interface is dropped as a "martian"
// unless net.ipv4.conf.<if>.route_localnet=1 (the kernel ORs conf/all with conf/<if>).
// kube-proxy sets conf/all on AKS nodes; NMI checks and reports, and sets it only if asked.
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface SysctlFs {
  read(path: string): Promise<string>;
  write(path: string, value: string): Promise<void>;
  list(dir: string): Promise<string[]>;
}

export const nodeSysctlFs: SysctlFs = {
  read: (p) => readFile(p, "utf8"),
  write: (p, v) => writeFile(p, v),
  list: (d) => readdir(d),
};

const CONF_DIR = "/proc/sys/net/ipv4/conf";
// Interface names as the kernel allows them (IFNAMSIZ 16, no '/' or whitespace); '.' and '..'
// are refused so a name can never walk out of the conf directory.
const IFNAME = /^[A-Za-z0-9_@:.+-]{1,15}$/;

function confPath(iface: string, confDir: string): string {
  if (!IFNAME.test(iface) || iface === "." || iface === "..") throw new Error(`invalid interface name: ${JSON.stringify(iface)}`);
  return join(confDir, iface, "route_localnet");
}

/** True when DNAT to a 127.0.0.0/8 address needs route_localnet. */
export function needsRouteLocalnet(targetAddress: string): boolean {
  return targetAddress.startsWith("127.");
}

export interface RouteLocalnetReport {
  all: boolean;
  /** Per interface: its own flag, and whether DNAT to loopback works for packets it receives. */
  interfaces: { name: string; value: boolean; effective: boolean }[];
  /** Interfaces (other than lo) where DNAT to 127.0.0.1 would be dropped. */
  missing: string[];
  ok: boolean;
}

export interface RouteLocalnetOptions {
  /** Interfaces to check; default: every interface in the namespace except lo. */
  interfaces?: readonly string[];
  fs?: SysctlFs;
  confDir?: string;
}

async function readFlag(fs: SysctlFs, path: string): Promise<boolean> {
  return (await fs.read(path)).trim() === "1";
}

export async function checkRouteLocalnet(opts: RouteLocalnetOptions = {}): Promise<RouteLocalnetReport> {
  const fs = opts.fs ?? nodeSysctlFs;
  const dir = opts.confDir ?? CONF_DIR;
  const all = await readFlag(fs, confPath("all", dir));
  const names = opts.interfaces ?? (await fs.list(dir)).filter((n) => n !== "all" && n !== "default" && n !== "lo");
  const interfaces = [];
  for (const name of names) {
    const value = await readFlag(fs, confPath(name, dir));
    interfaces.push({ name, value, effective: all || value });
  }
  const missing = interfaces.filter((i) => !i.effective).map((i) => i.name);
  return { all, interfaces, missing, ok: missing.length === 0 };
}

/** Sets route_localnet=1 on each interface (what kube-proxy does for conf/all). */
export async function enableRouteLocalnet(interfaces: readonly string[], opts: Omit<RouteLocalnetOptions, "interfaces"> = {}): Promise<void> {
  const fs = opts.fs ?? nodeSysctlFs;
  const dir = opts.confDir ?? CONF_DIR;
  for (const name of interfaces) await fs.write(confPath(name, dir), "1");
}

export function describeRouteLocalnet(r: RouteLocalnetReport): string {
  if (r.ok) return r.all ? "route_localnet enabled for all interfaces" : "route_localnet enabled on every checked interface";
  return `route_localnet=0 on ${r.missing.join(", ")}: pod traffic DNATed to 127.0.0.1 will be dropped as martian; ` +
    "set net.ipv4.conf.all.route_localnet=1 (kube-proxy normally does) or listen on a non-loopback address";
}
