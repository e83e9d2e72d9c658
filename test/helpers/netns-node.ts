// Runs inside the node namespace (spawned with `ip netns exec`): the "node" of the netns e2e.
// Starts an IMDS on 169.254.169.254:80 and an NMI on 127.0.0.1:<port 0>, sets route_localnet
// on the pod links (kube-proxy's job on a real node), installs podid's iptables rules with the
// real manager, prints {"type":"ready",...}, then serves control ops on stdin (JSON lines).
//   --mode stub   both servers are echo stubs (proves DNAT / route_localnet / host bypass)
//   --mode nmi    kube peer + IMDS peer + real NMI (see netns-node-nmi.ts)
import { writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import {
  checkRouteLocalnet, createIptablesManager, detectBackend, enableRouteLocalnet, execIptablesRunner, interceptionConfig,
  startVerifyLoop,
} from "../../nmi/iptables/index.ts";
import { serveJsonLines } from "./json-lines-child.ts";
import { httpGetFresh } from "./http-get.ts";

export interface NodeBackend {
  /** Port NMI listens on (127.0.0.1). */
  nmiPort: number;
  ops: Record<string, (msg: Record<string, unknown>) => Promise<unknown>>;
  ready: Record<string, unknown>;
  close(): Promise<void>;
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

async function stubBackend(): Promise<NodeBackend> {
  const echo = (name: string): Server => createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ server: name, remote: req.socket.remoteAddress, url: req.url }));
  });
  const imds = echo("imds");
  const nmi = echo("nmi");
  await listen(imds, "169.254.169.254", 80);
  const nmiPort = await listen(nmi, "127.0.0.1", 0);
  return {
    nmiPort, ops: {}, ready: {},
    close: async () => { await Promise.all([imds, nmi].map((s) => new Promise((r) => s.close(r)))); },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { mode: { type: "string", default: "stub" }, "pod-links": { type: "string", default: "" } } });
  const podLinks = (values["pod-links"] ?? "").split(",").filter((l) => l !== "");
  const routeLocalnetBefore = await checkRouteLocalnet({ interfaces: podLinks });
  await enableRouteLocalnet(podLinks);
  const routeLocalnetAfter = await checkRouteLocalnet({ interfaces: podLinks });

  const backend = values.mode === "nmi"
    ? await (await import("./netns-node-nmi.ts")).nmiBackend()
    : await stubBackend();

  const runner = execIptablesRunner();
  const manager = createIptablesManager({ runner, config: interceptionConfig({ targetAddress: "127.0.0.1", targetPort: backend.nmiPort }) });
  const loop = startVerifyLoop(manager, { intervalMs: 60_000 });
  const installed = await manager.ensure();

  const ops: Record<string, (msg: Record<string, unknown>) => Promise<unknown>> = {
    ...backend.ops,
    // Host-network traffic (this namespace's own processes) must reach IMDS directly.
    async fetch(msg) {
      return httpGetFresh(String(msg.url), (msg.headers ?? {}) as Record<string, string>);
    },
    async "iptables-listing"() {
      const r = await runner.run(["-w", "5", "-t", "nat", "-S"]);
      return r.stdout;
    },
    async "iptables-run"(msg) { return runner.run((msg.args ?? []) as string[]); },
    async "iptables-verify"() { return { repaired: await loop.verifyNow() }; },
    async "iptables-remove"() { return manager.remove(); },
    // Lets a test switch route_localnet off on a pod link to show why NMI checks it.
    async "route-localnet"(msg) {
      const link = String(msg.link);
      if (!podLinks.includes(link)) throw new Error(`not a pod link: ${link}`);
      await writeFile(`/proc/sys/net/ipv4/conf/${link}/route_localnet`, msg.value === 1 ? "1" : "0");
      return checkRouteLocalnet({ interfaces: podLinks });
    },
  };

  let closing = false;
  serveJsonLines(ops, async () => {
    if (closing) return;
    closing = true;
    await loop.stop();
    try { await manager.remove(); } catch (err) { process.stderr.write(`iptables removal failed: ${String(err)}\n`); }
    await backend.close();
    process.exit(0);
  });
  const { backend: iptBackend, version } = await detectBackend(runner);
  process.stdout.write(`${JSON.stringify({
    type: "ready", nmiPort: backend.nmiPort, installed: installed.outcome, iptablesBackend: iptBackend, iptablesVersion: version,
    routeLocalnetBefore: routeLocalnetBefore.missing, routeLocalnetAfter: routeLocalnetAfter.missing, ...backend.ready,
  })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`netns-node failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
