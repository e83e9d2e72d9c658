// The NMI DaemonSet as rendered by each overlay: what NMI needs on a node (host network,
// capabilities, xtables lock, priority, tolerations) and flags/env that nmi/config.ts accepts.
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, test } from "node:test";
import { nmiConfigFromArgs } from "../../../nmi/config.ts";
import { nmiEnvNames, nmiFlagNames, REPO } from "../../helpers/deploy/config-names.ts";
import { kustomize, type K8sObject } from "../../helpers/deploy/kubectl.ts";
import { find, literalEnv, namedPort, podSpecOf, probePort, restrictedViolations, type Container, type PodSpec } from "../../helpers/deploy/pod-checks.ts";

const OVERLAYS = { default: "standard", standard: "standard", managed: "managed" } as const;
const daemonSets = new Map<string, K8sObject>();

before(async () => {
  for (const overlay of Object.keys(OVERLAYS)) daemonSets.set(overlay, find(await kustomize(join(REPO, "infra", overlay)), "DaemonSet", "podid-nmi"));
});

function nmi(overlay: string): { pod: PodSpec; c: Container } {
  const ds = daemonSets.get(overlay);
  assert.ok(ds);
  const pod = podSpecOf(ds);
  assert.equal(pod.containers.length, 1);
  const c = pod.containers[0];
  assert.ok(c);
  return { pod, c };
}

for (const [overlay, mode] of Object.entries(OVERLAYS)) {
  test(`${overlay}: NMI runs on every Linux node, in the host network, first to schedule and last to go`, () => {
    const { pod } = nmi(overlay);
    assert.equal(pod.hostNetwork, true);
    assert.equal(pod.dnsPolicy, "ClusterFirstWithHostNet");
    assert.equal(pod.priorityClassName, "system-node-critical");
    assert.deepEqual(pod.tolerations, [{ operator: "Exists" }]);
    assert.deepEqual(pod.nodeSelector, { "kubernetes.io/os": "linux" });
    assert.equal(pod.serviceAccountName, "podid-nmi");
  });

  test(`${overlay}: NMI gets NET_ADMIN and NET_RAW only, and the host's xtables lock`, () => {
    const { pod, c } = nmi(overlay);
    const sc = c.securityContext ?? {};
    assert.deepEqual(sc.capabilities, { drop: ["ALL"], add: ["NET_ADMIN", "NET_RAW"] });
    assert.equal(sc.privileged, false);
    assert.equal(sc.allowPrivilegeEscalation, false);
    assert.equal(sc.readOnlyRootFilesystem, true);
    assert.equal(sc.seccompProfile?.type, "RuntimeDefault");
    const lockMount = c.volumeMounts?.find((m) => m.mountPath === "/run/xtables.lock");
    assert.ok(lockMount, "/run/xtables.lock is mounted");
    const vol = pod.volumes?.find((v) => v.name === lockMount.name);
    assert.deepEqual(vol?.hostPath, { path: "/run/xtables.lock", type: "FileOrCreate" });
    // The only hostPath: NMI must not see more of the node than the lock.
    assert.deepEqual(pod.volumes?.filter((v) => v.hostPath).map((v) => v.name), [lockMount.name]);
    // It is *not* a restricted pod, and the checker says why (so the forwarder check can fail).
    assert.ok(restrictedViolations(pod).includes("host namespaces"));
  });

  test(`${overlay}: NMI's flags and env are ones nmi/config.ts reads, and parse to ${mode} mode`, () => {
    const { c } = nmi(overlay);
    const flags = nmiFlagNames();
    for (const a of c.args ?? []) assert.ok(flags.has(/^--([^=]+)/.exec(a)?.[1] ?? ""), `unknown NMI flag ${a}`);
    const envNames = nmiEnvNames();
    for (const e of c.env ?? []) assert.ok(envNames.has(e.name), `NMI does not read env ${e.name}`);
    const nodeName = c.env?.find((e) => e.name === "NODE_NAME");
    assert.deepEqual(nodeName?.valueFrom, { fieldRef: { fieldPath: "spec.nodeName" } });
    assert.equal(c.envFrom, undefined);

    const config = nmiConfigFromArgs(c.args ?? [], literalEnv(c, { "spec.nodeName": "aks-nodepool1-0" }));
    assert.equal(config.nodeName, "aks-nodepool1-0");
    assert.equal(config.mode, mode);
    assert.equal(config.forceNamespaced, mode === "managed");
    // The iptables rule DNATs to 127.0.0.1:2579: the token server must listen exactly there.
    assert.equal(config.tokenAddress, "127.0.0.1");
    assert.equal(config.tokenPort, 2579);
    assert.equal(config.metadataHeaderRequired, true);
    assert.equal(probePort(c, c.livenessProbe), config.healthPort);
    assert.equal(probePort(c, c.readinessProbe), config.healthPort);
    assert.equal(namedPort(c, "metrics"), config.metricsPort);
    assert.equal(c.livenessProbe?.httpGet?.path, "/healthz");
    assert.equal(c.readinessProbe?.httpGet?.path, "/readyz");
  });

  test(`${overlay}: NMI has requests and limits`, () => {
    const { c } = nmi(overlay);
    for (const r of ["cpu", "memory"]) {
      assert.ok(c.resources?.requests?.[r], `requests.${r}`);
      assert.ok(c.resources?.limits?.[r], `limits.${r}`);
    }
  });
}
