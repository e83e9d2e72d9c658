// nmi/main.ts when interception cannot be, or is being, set up — in namespaces the test creates:
// without CAP_NET_ADMIN it exits 3 at once with the catalog code and what to fix (before any
// Kubernetes call); a SIGINT while it still waits for the API server removes the rules it
// installed first and exits 0.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createNetnsCluster, leftoverNamespaces, requireNetnsSupport, type NetnsCluster } from "../helpers/netns.ts";
import { NmiMainProcess } from "../helpers/netns-nmi-main.ts";
import { writeKubeconfig } from "../../sandbox/peers/kube/index.ts";


describe("nmi/main.ts: interception errors and shutdown during start-up", () => {
  let cluster: NetnsCluster | undefined;
  let dir = "";
  // Nothing listens there inside the node namespace: NMI's informers keep retrying.
  const kubeEnv = (): NodeJS.ProcessEnv => ({ KUBERNETES_SERVICE_HOST: "", KUBECONFIG: join(dir, "kubeconfig") });
  const started: NmiMainProcess[] = [];
  const run = (o: ConstructorParameters<typeof NmiMainProcess>[0]): NmiMainProcess => {
    const p = new NmiMainProcess(o);
    started.push(p);
    return p;
  };
  const nat = async (): Promise<string> => {
    assert.ok(cluster);
    const r = await cluster.exec(cluster.nodeNs, ["iptables", "-w", "5", "-t", "nat", "-S"]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };

  before(async () => {
    await requireNetnsSupport();
    cluster = await createNetnsCluster({ pods: [] });
    dir = mkdtempSync(join(tmpdir(), "podid-nmi-main-err-"));
    writeKubeconfig(join(dir, "kubeconfig"), "http://127.0.0.1:1");
  });
  after(async () => {
    for (const p of started) p.killNow();
    await Promise.all(started.map((p) => p.exited));
    const runId = cluster?.runId;
    await cluster?.destroy();
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
    if (runId !== undefined) assert.deepEqual(await leftoverNamespaces(runId), []);
  });

  test("without CAP_NET_ADMIN: exit 3 within seconds, PODID_ERR_IPTABLES_NOT_PERMITTED and the fix on stderr, nat untouched", async () => {
    assert.ok(cluster);
    const p = run({
      ns: cluster.nodeNs,
      withoutNetAdmin: true,
      args: ["--node=node-x", "--nmi-port=2579", "--probe-address=127.0.0.1", "--http-probe-port=0", "--prometheus-port=0"],
      env: { ...process.env, ...kubeEnv() },
    });
    const { code } = await p.exit(30_000);
    assert.equal(code, 3, `stderr:\n${p.stderr}`);
    assert.match(p.stderr, /cannot set up IMDS interception \[PODID_ERR_IPTABLES_NOT_PERMITTED\]/);
    assert.match(p.stderr, /CAP_NET_ADMIN/);
    assert.match(p.stderr, /--iptables=false/);
    const fatal = p.logs.find((l) => l.level === 60);
    assert.equal(fatal?.code, "PODID_ERR_IPTABLES_NOT_PERMITTED");
    assert.equal(p.indexOf("starting informers"), -1, "failed before touching Kubernetes");
    assert.doesNotMatch(await nat(), /aad-metadata/);
  });

  // SIGINT here (SIGTERM is covered by nmi-main-netns.test.ts): both signals remove the rules.
  test("SIGINT while the informers cannot sync: the rules installed first are removed, exit 0", async () => {
    assert.ok(cluster);
    const p = run({
      ns: cluster.nodeNs,
      args: ["--node=node-x", "--nmi-port=2579", "--probe-address=127.0.0.1", "--http-probe-port=0", "--prometheus-port=0",
        "--route-localnet=ignore", "--informer-backoff-ms=100", "--informer-backoff-max-ms=200"],
      env: { ...process.env, ...kubeEnv() },
    });
    await p.waitForLog("iptables rules installed", 30_000);
    await p.waitForLog("starting informers", 10_000);
    assert.match(await nat(), /-A PREROUTING -j aad-metadata/);
    assert.equal(p.indexOf("NMI ready"), -1, "still syncing");
    p.signal("SIGINT");
    const { code } = await p.exit(20_000);
    assert.equal(code, 0, `stderr:\n${p.stderr}\nlogs:\n${p.logText()}`);
    assert.notEqual(p.indexOf("iptables rules removed"), -1);
    assert.doesNotMatch(await nat(), /aad-metadata/);
  });
});
