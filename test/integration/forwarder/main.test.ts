// The container entry point as a process: env → config → clients → start; SIGTERM releases the
// lease and exits 0; bad configuration exits 2 with a clear message.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { writeKubeconfig } from "../../../sandbox/peers/kube/index.ts";
import { waitFor } from "../../helpers/forwarder-fakes.ts";
import { applyCommand, BICEP_SAS_RULES, LEASE_NS, startHarness } from "../../helpers/forwarder-harness.ts";

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, ["--import", "tsx", "forwarder/main.ts"], {
    env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited, out: () => out, err: () => err };
}

test("bad configuration exits with code 2 and names the variable", async () => {
  const p = run({ PODID_SERVICEBUS_CONNECTION_STRING: "Endpoint=sb://x/", PODID_LEASE_DURATION: "soon" });
  assert.equal(await p.exited, 2);
  assert.match(p.err(), /PODID_CLUSTER_NAME \(--cluster-name\): required/);
  assert.match(p.err(), /PODID_LEASE_DURATION/);
});

test("starts from the environment (queue-level SAS strings as bicep/ creates them), leads, applies commands, and releases the lease on SIGTERM", async (t) => {
  const h = await startHarness({ sasRules: BICEP_SAS_RULES });
  const dir = mkdtempSync(join(tmpdir(), "podid-fwd-main-"));
  t.after(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const kubeconfig = join(dir, "kubeconfig");
  writeKubeconfig(kubeconfig, h.kube.url);
  const p = run({
    KUBECONFIG: kubeconfig,
    PODID_CLUSTER_NAME: "c1",
    PODID_SERVICEBUS_EVENTS_CONNECTION_STRING: h.bus.connectionString("podid-forwarder-send"),
    PODID_SERVICEBUS_COMMANDS_CONNECTION_STRING: h.bus.connectionString("podid-forwarder-listen"),
    POD_NAME: "fwd-main-0",
    POD_NAMESPACE: LEASE_NS,
    PODID_HEALTH_PORT: "0",
    PODID_METRICS_PORT: "0",
    PODID_LISTEN_HOST: "127.0.0.1",
    PODID_LOG_LEVEL: "info",
  });
  t.after(() => { if (p.child.exitCode === null) p.child.kill("SIGKILL"); });
  h.events.start();
  await h.events.waitFor((b) => b.kind === "Snapshot", 20_000, "snapshot from the process");
  const holder = () => (h.kube.get("leases", LEASE_NS, "podid-forwarder")?.spec as { holderIdentity?: string } | undefined)?.holderIdentity;
  assert.equal(holder(), "fwd-main-0");
  await h.sendCommand(applyCommand("web-0-shop-web-id"));
  await waitFor(() => h.kube.get("azureassignedidentities", "default", "web-0-shop-web-id") !== undefined, 10_000, "command applied by the process");
  p.child.kill("SIGTERM");
  assert.equal(await p.exited, 0, p.err());
  assert.equal(holder(), "", "lease released");
  assert.match(p.out(), /"msg":"became leader"/);
});
