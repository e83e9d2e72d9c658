// --kubeconfig, --context, -n and KUBECONFIG resolution, against live and dead API servers.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { after, before, test } from "node:test";
import { stringify } from "yaml";
import { startKubePeer, type KubePeer } from "../../../sandbox/peers/kube/index.ts";
import { put, runPodid } from "../../helpers/cli-harness.ts";
import { pod } from "../../helpers/nmi-fixtures.ts";

let peer: KubePeer;
let secured: KubePeer;
let dir: string;
let deadUrl: string;

function kubeconfig(name: string, o: { current: string; contexts: Array<{ name: string; server: string; namespace?: string; token?: string }> }): string {
  const path = join(dir, name);
  writeFileSync(path, stringify({
    apiVersion: "v1", kind: "Config", "current-context": o.current,
    clusters: o.contexts.map((c) => ({ name: `${c.name}-cluster`, cluster: { server: c.server, "insecure-skip-tls-verify": true } })),
    users: o.contexts.map((c) => ({ name: `${c.name}-user`, user: c.token === undefined ? {} : { token: c.token } })),
    contexts: o.contexts.map((c) => ({ name: c.name, context: { cluster: `${c.name}-cluster`, user: `${c.name}-user`, ...(c.namespace ? { namespace: c.namespace } : {}) } })),
  }));
  return path;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "podid-kubeconfig-"));
  peer = await startKubePeer();
  secured = await startKubePeer({ token: "s3cret" });
  for (const p of [peer, secured]) {
    p.ensureNamespace("shop");
    put(p, "pods", pod("cart-1", { namespace: "shop", label: "cart" }));
  }
  // A port that was just free: connections to it are refused.
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const addr = s.address();
  deadUrl = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 1}`;
  await new Promise<void>((r) => s.close(() => r()));
});

after(async () => {
  await Promise.all([peer.close(), secured.close()]);
  rmSync(dir, { recursive: true, force: true });
});

/** Reached the cluster and found the pod: a verdict (exit 1, the pod has no binding). */
function reached(r: { code: number; stdout: string; stderr: string }): void {
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^Pod\s+shop\/cart-1$/m);
}

test("--kubeconfig: current context first; --context switches; the context's namespace is the default; -n overrides", async () => {
  const file = kubeconfig("two-contexts", { current: "down", contexts: [{ name: "down", server: deadUrl }, { name: "peer", server: peer.url, namespace: "shop" }] });
  const dead = await runPodid(["diagnose", "cart-1", "--kubeconfig", file, "--request-timeout", "2s"], {});
  assert.equal(dead.code, 2);
  assert.match(dead.stderr, new RegExp(`^error: cannot reach the API server at ${deadUrl} \\(context "down"\\): .*ECONNREFUSED`));
  reached(await runPodid(["diagnose", "cart-1", "--kubeconfig", file, "--context", "peer"], {}));
  const wrongNs = await runPodid(["diagnose", "cart-1", "--kubeconfig", file, "--context", "peer", "-n", "default"], {});
  assert.equal(wrongNs.code, 2);
  assert.match(wrongNs.stderr, /pod "cart-1" not found in namespace "default"/);
  const unknown = await runPodid(["status", "--kubeconfig", file, "--context", "nope"], {});
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr, `error: context "nope" not found in ${file}\nhint: contexts: down, peer\n`);
});

test("KUBECONFIG: files merged, the first definition of a name and the first current-context win; --kubeconfig wins over it", async () => {
  const a = kubeconfig("a", { current: "peer", contexts: [{ name: "peer", server: peer.url, namespace: "shop" }] });
  const b = kubeconfig("b", { current: "other", contexts: [{ name: "peer", server: deadUrl }, { name: "other", server: deadUrl }] });
  reached(await runPodid(["diagnose", "cart-1"], { KUBECONFIG: [a, b].join(delimiter) }));
  const bFirst = await runPodid(["diagnose", "cart-1", "--context", "peer", "--request-timeout", "2s"], { KUBECONFIG: [b, a].join(delimiter) });
  assert.equal(bFirst.code, 2);
  assert.match(bFirst.stderr, /cannot reach the API server/);
  reached(await runPodid(["diagnose", "cart-1", "--kubeconfig", a], { KUBECONFIG: b }));
  const missing = join(dir, "missing");
  reached(await runPodid(["diagnose", "cart-1"], { KUBECONFIG: [missing, a].join(delimiter) }));
  const none = await runPodid(["diagnose", "cart-1"], { KUBECONFIG: missing });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /none of the KUBECONFIG files exist/);
});

test("~/.kube/config when KUBECONFIG is unset; a clear error when there is no configuration at all", async () => {
  const home = join(dir, "home");
  mkdirSync(join(home, ".kube"), { recursive: true });
  writeFileSync(join(home, ".kube", "config"), stringify({
    apiVersion: "v1", kind: "Config", "current-context": "p",
    clusters: [{ name: "c", cluster: { server: peer.url, "insecure-skip-tls-verify": true } }],
    users: [{ name: "u", user: {} }], contexts: [{ name: "p", context: { cluster: "c", user: "u", namespace: "shop" } }],
  }));
  reached(await runPodid(["diagnose", "cart-1"], { HOME: home }));
  const nothing = await runPodid(["diagnose", "cart-1"], { HOME: join(dir, "empty-home") });
  assert.equal(nothing.code, 2);
  assert.equal(nothing.stderr, "error: no kubeconfig found\nhint: pass --kubeconfig <file>, set KUBECONFIG, or create ~/.kube/config\n");
  const broken = join(dir, "broken");
  writeFileSync(broken, "clusters: [ {");
  const bad = await runPodid(["diagnose", "cart-1", "--kubeconfig", broken], {});
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, new RegExp(`^error: cannot load kubeconfig ${broken}: `));
});

test("bearer tokens from the kubeconfig are sent; a rejected token is exit 2 with a hint", async () => {
  const good = kubeconfig("token-good", { current: "s", contexts: [{ name: "s", server: secured.url, namespace: "shop", token: "s3cret" }] });
  reached(await runPodid(["diagnose", "cart-1", "--kubeconfig", good], {}));
  const bad = kubeconfig("token-bad", { current: "s", contexts: [{ name: "s", server: secured.url, namespace: "shop", token: "nope" }] });
  const r = await runPodid(["diagnose", "cart-1", "--kubeconfig", bad], {});
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^error: GET \/api\/v1\/namespaces\/shop\/pods\/cart-1: 401 Unauthorized\nhint: check the credentials of context "s"\n$/);
});

test("a cluster without the podid CRDs: exit 2 saying so, for diagnose and status", async () => {
  const bare = await startKubePeer({ crdDir: null });
  try {
    bare.ensureNamespace("shop");
    put(bare, "pods", pod("cart-1", { namespace: "shop", label: "cart" }));
    const file = kubeconfig("bare", { current: "b", contexts: [{ name: "b", server: bare.url, namespace: "shop" }] });
    for (const argv of [["diagnose", "cart-1"], ["status"]]) {
      const r = await runPodid([...argv, "--kubeconfig", file], {});
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^error: the aadpodidentity\.k8s\.io\/v1 CRDs are not installed in this cluster \(no \w+\)\nhint: install podid: kubectl apply -k infra\/default\n$/);
    }
  } finally {
    await bare.close();
  }
});
