// Starts a throwaway Azurite (Table service; optionally blob and queue) on free loopback ports,
// in memory, with telemetry off, and stops it by pid. Used by tests and the sandbox for real
// `@azure/data-tables` round trips.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { createServer, connect } from "node:net";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";

/** Azurite's documented development account (public, not a secret). */
export const DEV_ACCOUNT = "devstoreaccount1";
export const DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface AzuriteHandle {
  connectionString: string;
  tableUrl: string;
  blobUrl?: string;
  queueUrl?: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => { s.destroy(); resolve(true); });
    s.once("error", () => resolve(false));
  });
}

function binPath(name: "azurite" | "azurite-table"): string {
  const req = createRequire(import.meta.url);
  const root = dirname(req.resolve("azurite/package.json"));
  return join(root, name === "azurite" ? "dist/src/azurite.js" : "dist/src/table/main.js");
}

export async function startAzurite(opts: { blob?: boolean; queue?: boolean; timeoutMs?: number } = {}): Promise<AzuriteHandle> {
  const all = opts.blob === true || opts.queue === true;
  const tablePort = await freePort();
  const blobPort = all ? await freePort() : 0;
  const queuePort = all ? await freePort() : 0;
  const args = [binPath(all ? "azurite" : "azurite-table"), "--disableTelemetry", "--inMemoryPersistence",
    "--skipApiVersionCheck", "--silent", "--tableHost", "127.0.0.1", "--tablePort", String(tablePort)];
  if (all) args.push("--blobHost", "127.0.0.1", "--blobPort", String(blobPort), "--queueHost", "127.0.0.1", "--queuePort", String(queuePort));
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => { stderr += d.toString(); });

  const stop = (): Promise<void> => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    if (child.pid !== undefined) process.kill(child.pid, "SIGTERM");
  });

  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  const ports = [tablePort, ...(all ? [blobPort, queuePort] : [])];
  for (;;) {
    if (child.exitCode !== null) throw new Error(`azurite exited with ${child.exitCode}: ${stderr}`);
    if ((await Promise.all(ports.map(answers))).every(Boolean)) break;
    if (Date.now() > deadline) { await stop(); throw new Error(`azurite did not start in time: ${stderr}`); }
    await new Promise((r) => setTimeout(r, 100));
  }
  const base = (port: number): string => `http://127.0.0.1:${port}/${DEV_ACCOUNT}`;
  let connectionString = `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};TableEndpoint=${base(tablePort)};`;
  if (all) connectionString += `BlobEndpoint=${base(blobPort)};QueueEndpoint=${base(queuePort)};`;
  return {
    connectionString,
    tableUrl: base(tablePort),
    ...(all ? { blobUrl: base(blobPort), queueUrl: base(queuePort) } : {}),
    stop,
  };
}
