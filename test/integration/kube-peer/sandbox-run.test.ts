// `npm start -- --no-demo`: the system without the demo objects, a kubeconfig client-node can
// use, state files removed on SIGTERM; a taken port refused clearly. (The full demo run, Ctrl-C
// and the CLI are in test/e2e/sandbox-start.test.ts.)
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";

const RUN = new URL("../../../sandbox/run.ts", import.meta.url).pathname;

function startRun(args: string[]): { child: ChildProcess; output: () => string } {
  let out = "";
  const child = spawn(process.execPath, ["--import", "tsx", RUN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.on("data", (d: Buffer) => { out += d.toString(); });
  child.stderr?.on("data", (d: Buffer) => { out += d.toString(); });
  return { child, output: () => out };
}

async function waitForOutput(output: () => string, re: RegExp, ms = 15_000): Promise<RegExpMatchArray> {
  const end = Date.now() + ms;
  for (;;) {
    const m = re.exec(output());
    if (m) return m;
    if (Date.now() > end) throw new Error(`timed out waiting for ${String(re)}; output:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("sandbox/run.ts --no-demo serves the kube peer, writes kubeconfig and env, removes them on SIGTERM", async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), "podid-sandbox-")), "state");
  const run = startRun(["--kube-port", "0", "--state-dir", dir, "--no-demo"]);
  t.after(() => { if (run.child.exitCode === null) run.child.kill("SIGKILL"); rmSync(join(dir, ".."), { recursive: true, force: true }); });
  const kubeconfig = join(dir, "kubeconfig");
  await waitForOutput(run.output, /Ctrl-C stops everything/, 40_000);
  assert.match(run.output(), new RegExp(`source ${join(dir, "env")}`));
  assert.match(readFileSync(join(dir, "env"), "utf8"), new RegExp(`KUBECONFIG=${kubeconfig}`));
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const namespaces = await kc.makeApiClient(CoreV1Api).listNamespace();
  assert.deepEqual(namespaces.items.map((n) => n.metadata?.name).filter((n) => n === "default" || n === "kube-system"), ["default", "kube-system"]);
  // No demo: no pods in "default".
  const pods = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: "default" });
  assert.deepEqual(pods.items.map((p) => p.metadata?.name), []);
  run.child.kill("SIGTERM");
  const [code] = (await once(run.child, "exit")) as [number | null];
  assert.equal(code, 0);
  assert.equal(existsSync(dir), false, "state dir removed on stop");
});

test("sandbox/run.ts exits 1 with a clear message when the kube port is taken", async (t) => {
  const blocker = createServer();
  blocker.listen(0, "127.0.0.1");
  await once(blocker, "listening");
  t.after(() => blocker.close());
  const addr = blocker.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  const dir = mkdtempSync(join(tmpdir(), "podid-sandbox-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // The port comes from PODID_KUBE_PORT when --kube-port is not given.
  const env = { ...process.env, PODID_KUBE_PORT: String(port) };
  const child = spawn(process.execPath, ["--import", "tsx", RUN, "--state-dir", dir], { stdio: ["ignore", "pipe", "pipe"], env });
  let err = "";
  child.stderr.on("data", (d: Buffer) => { err += d.toString(); });
  const [code] = (await once(child, "exit")) as [number | null];
  assert.equal(code, 1);
  assert.match(err, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
});
