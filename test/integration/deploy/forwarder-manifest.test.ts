// The forwarder Deployment: restricted security context, leader election wiring, probes and
// ports that match forwarder/config.ts, and the Secret template it reads its endpoint from.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { loadForwarderConfig } from "../../../forwarder/config.ts";
import { forwarderEnvNames, REPO } from "../../helpers/deploy/config-names.ts";
import { kustomize, parseYamlObjects, type K8sObject } from "../../helpers/deploy/kubectl.ts";
import { find, literalEnv, namedPort, podSpecOf, probePort, restrictedViolations } from "../../helpers/deploy/pod-checks.ts";

let all: K8sObject[] = [];
before(async () => { all = await kustomize(join(REPO, "infra", "default")); });

const TEMPLATE = join(REPO, "infra", "base", "forwarder", "config-secret.template.yaml");
const secretTemplate = () => {
  const [secret, ...rest] = parseYamlObjects(readFileSync(TEMPLATE, "utf8"), TEMPLATE);
  assert.equal(rest.length, 0);
  assert.ok(secret);
  return secret as K8sObject & { stringData: Record<string, string> };
};

function forwarder() {
  const d = find(all, "Deployment", "podid-forwarder");
  const pod = podSpecOf(d);
  const c = pod.containers[0];
  assert.ok(c);
  assert.equal(pod.containers.length, 1);
  return { d, pod, c };
}

test("the forwarder meets Pod Security 'restricted' and keeps a read-only root filesystem", () => {
  const { pod, c } = forwarder();
  assert.deepEqual(restrictedViolations(pod), []);
  assert.equal(c.securityContext?.readOnlyRootFilesystem, true);
  assert.deepEqual(c.securityContext?.capabilities, { drop: ["ALL"] });
  assert.ok(c.volumeMounts?.some((m) => m.mountPath === "/tmp"), "writable /tmp (HOME of the image)");
});

test("two replicas, one leader: the Lease name is the one the Role lets it renew; a PDB keeps one up", () => {
  const { d, c } = forwarder();
  assert.equal((d.spec as { replicas: number }).replicas, 2);
  const env = literalEnv(c, { "metadata.name": "podid-forwarder-abc", "metadata.namespace": "podid-system" });
  const role = find(all, "Role", "podid-forwarder-leader-election");
  const rules = role.rules as { resources: string[]; verbs: string[]; resourceNames?: string[] }[];
  const renew = rules.find((r) => r.verbs.includes("update"));
  assert.deepEqual(renew?.resourceNames, [env.PODID_LEASE_NAME]);
  assert.equal(role.metadata.namespace, "podid-system");
  const pdb = find(all, "PodDisruptionBudget", "podid-forwarder");
  assert.equal((pdb.spec as { maxUnavailable: number }).maxUnavailable, 1);
});

test("the forwarder's env names are ones forwarder/config.ts reads, and the Secret template completes them", () => {
  const { c } = forwarder();
  const names = forwarderEnvNames();
  for (const e of c.env ?? []) assert.ok(names.has(e.name), `forwarder does not read env ${e.name}`);
  const secret = secretTemplate();
  assert.equal(secret.kind, "Secret");
  assert.equal(secret.metadata.namespace, "podid-system");
  assert.deepEqual(c.envFrom, [{ secretRef: { name: secret.metadata.name } }]);
  for (const key of Object.keys(secret.stringData)) assert.ok(names.has(key), `template key ${key} is not a forwarder setting`);
  assert.ok("PODID_CLUSTER_NAME" in secret.stringData);
  // A template, not a secret: every value is a <placeholder>.
  for (const [k, v] of Object.entries(secret.stringData)) assert.match(v, /^<.*>$/, `${k} must be a placeholder`);
  assert.ok(!all.some((o) => o.kind === "Secret"), "no Secret is rendered: re-applying must not overwrite the real one");
});

/** The template's values with the <placeholder> brackets removed: what a user pastes in. */
function filledTemplate(): Record<string, string> {
  return Object.fromEntries(Object.entries(secretTemplate().stringData).map(([k, v]) => [k, v.replace(/^<|>$/g, "")]));
}

test("the Secret template gives the forwarder one queue-level connection string per queue, named like the Bicep rules", () => {
  const filled = filledTemplate();
  const events = filled.PODID_SERVICEBUS_EVENTS_CONNECTION_STRING ?? "";
  const commands = filled.PODID_SERVICEBUS_COMMANDS_CONNECTION_STRING ?? "";
  assert.match(events, /SharedAccessKeyName=podid-forwarder-send;.*EntityPath=mic-events$/);
  assert.match(commands, /SharedAccessKeyName=podid-forwarder-listen;.*EntityPath=mic-commands$/);
  const bicep = readFileSync(join(REPO, "bicep", "modules", "service-bus.bicep"), "utf8");
  assert.match(bicep, /eventsSend: 'podid-forwarder-send'/);
  assert.match(bicep, /commandsListen: 'podid-forwarder-listen'/);
  const loaded = loadForwarderConfig({ env: { ...filled, POD_NAME: "p" } });
  assert.ok(loaded.ok, loaded.ok ? "" : loaded.errors.join("; "));
});

test("with the Secret filled in, the rendered spec parses with forwarder/config.ts; probes and ports match it", () => {
  const { c } = forwarder();
  const env: Record<string, string> = {
    ...literalEnv(c, { "metadata.name": "podid-forwarder-abc", "metadata.namespace": "podid-system" }),
    ...filledTemplate(),
    PODID_CLUSTER_NAME: "prod-aks",
  };
  const loaded = loadForwarderConfig({ env, argv: c.args ?? [] });
  assert.ok(loaded.ok, loaded.ok ? "" : loaded.errors.join("; "));
  assert.equal(loaded.config.serviceBusEventsConnectionString, env.PODID_SERVICEBUS_EVENTS_CONNECTION_STRING);
  const cfg = loaded.config;
  assert.equal(cfg.leaseNamespace, "podid-system");
  assert.equal(cfg.leaseIdentity, "podid-forwarder-abc");
  assert.equal(probePort(c, c.livenessProbe), cfg.healthPort);
  assert.equal(probePort(c, c.readinessProbe), cfg.healthPort);
  assert.equal(namedPort(c, "metrics"), cfg.metricsPort);
  assert.equal(c.livenessProbe?.httpGet?.path, "/healthz");
  assert.equal(c.readinessProbe?.httpGet?.path, "/readyz");
  // Without the Secret's values the forwarder refuses to start and names what is missing.
  const bare = loadForwarderConfig({ env: literalEnv(c, { "metadata.name": "p", "metadata.namespace": "podid-system" }) });
  assert.equal(bare.ok, false);
  assert.match(bare.ok ? "" : bare.errors.join("\n"), /PODID_CLUSTER_NAME/);
});

test("the forwarder has requests and limits", () => {
  const { c } = forwarder();
  for (const r of ["cpu", "memory"]) {
    assert.ok(c.resources?.requests?.[r], `requests.${r}`);
    assert.ok(c.resources?.limits?.[r], `limits.${r}`);
  }
});
