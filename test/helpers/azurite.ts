// Starts a throwaway Azurite Table service (in memory) for integration tests. Azurite cannot
// report a port it picked itself, so we reserve a free loopback port first and retry if another
// process grabs it in between. Stand-in until sandbox/azurite.ts exists; same API.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Azurite's well-known development account (public, documented; not a secret). */
const ACCOUNT = "devstoreaccount1";
const KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface AzuriteHandle {
  connectionString: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function waitStarted(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => done(new Error(`azurite did not start in ${timeoutMs} ms: ${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/successfully (started|listening)/i.test(output)) done();
      else if (/EADDRINUSE|error/i.test(output)) done(new Error(`azurite failed: ${output}`));
    };
    const onExit = (code: number | null) => done(new Error(`azurite exited (${code}): ${output}`));
    function done(err?: Error) {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
      if (err) reject(err);
      else resolve();
    }
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", onExit);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

export async function startAzurite(): Promise<AzuriteHandle> {
  const bin = join(process.cwd(), "node_modules", ".bin", "azurite-table");
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "podid-azurite-"));
    const child = spawn(bin, [
      "--disableTelemetry", "--inMemoryPersistence", "--skipApiVersionCheck", "--silent",
      "--tableHost", "127.0.0.1", "--tablePort", String(port),
    ], { stdio: ["ignore", "pipe", "pipe"], cwd: dir });
    try {
      await waitStarted(child, 20_000);
    } catch (e) {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
      if (attempt >= 3) throw e;
      continue;
    }
    child.stdout?.resume();
    child.stderr?.resume();
    return {
      connectionString: `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${KEY};TableEndpoint=http://127.0.0.1:${port}/${ACCOUNT};`,
      async stop() {
        await stopChild(child);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}
