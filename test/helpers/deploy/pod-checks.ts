// Checks on rendered workloads that are about *our* policy, not the schema: Pod Security
// "restricted" rules, probe/port consistency, and env lookup.
import type { K8sObject } from "./kubectl.ts";

export interface Container {
  name: string; image?: string; args?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: unknown } }[];
  envFrom?: { secretRef?: { name: string; optional?: boolean }; configMapRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  livenessProbe?: Probe; readinessProbe?: Probe; startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: SecurityContext;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
export interface Probe { httpGet?: { path: string; port: number | string } }
export interface SecurityContext {
  runAsNonRoot?: boolean; runAsUser?: number; privileged?: boolean; allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean; capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: { type: string };
}
export interface PodSpec {
  containers: Container[]; hostNetwork?: boolean; hostPID?: boolean; hostIPC?: boolean; dnsPolicy?: string;
  priorityClassName?: string; serviceAccountName?: string; nodeSelector?: Record<string, string>;
  tolerations?: Record<string, unknown>[]; securityContext?: SecurityContext;
  volumes?: { name: string; hostPath?: { path: string; type?: string }; emptyDir?: unknown }[];
}

export function podSpecOf(o: K8sObject): PodSpec {
  const spec = (o.spec as { template?: { spec?: PodSpec } } | undefined)?.template?.spec;
  if (!spec) throw new Error(`${o.kind}/${o.metadata.name} has no pod template`);
  return spec;
}

export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`rendered output has no ${kind}/${name}`);
  return o;
}

/** Violations of the Pod Security Standards "restricted" profile (the parts that apply here). */
export function restrictedViolations(pod: PodSpec): string[] {
  const v: string[] = [];
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) v.push("host namespaces");
  if ((pod.volumes ?? []).some((vol) => vol.hostPath)) v.push("hostPath volume");
  for (const c of pod.containers) {
    const sc = c.securityContext ?? {};
    const runAsNonRoot = sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
    const seccomp = sc.seccompProfile?.type ?? pod.securityContext?.seccompProfile?.type;
    const uid = sc.runAsUser ?? pod.securityContext?.runAsUser;
    if (sc.privileged) v.push(`${c.name}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) v.push(`${c.name}: allowPrivilegeEscalation must be false`);
    if (runAsNonRoot !== true) v.push(`${c.name}: runAsNonRoot must be true`);
    if (uid === 0) v.push(`${c.name}: runAsUser 0`);
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") v.push(`${c.name}: seccompProfile must be RuntimeDefault`);
    if (!(sc.capabilities?.drop ?? []).includes("ALL")) v.push(`${c.name}: capabilities must drop ALL`);
    const added = (sc.capabilities?.add ?? []).filter((cap) => cap !== "NET_BIND_SERVICE");
    if (added.length > 0) v.push(`${c.name}: adds capabilities ${added.join(",")}`);
  }
  return v;
}

/** The container port a probe targets (named ports resolved); throws if it names none. */
export function probePort(c: Container, probe: Probe | undefined): number {
  const port = probe?.httpGet?.port;
  if (port === undefined) throw new Error(`${c.name}: probe without httpGet.port`);
  if (typeof port === "number") return port;
  const p = c.ports?.find((x) => x.name === port);
  if (!p) throw new Error(`${c.name}: probe port '${port}' is not a declared container port`);
  return p.containerPort;
}

export function namedPort(c: Container, name: string): number {
  const p = c.ports?.find((x) => x.name === name);
  if (!p) throw new Error(`${c.name}: no port named ${name}`);
  return p.containerPort;
}

/** Literal env values; downward-API fields replaced by the given stand-ins. */
export function literalEnv(c: Container, fieldValues: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef) {
      const v = fieldValues[e.valueFrom.fieldRef.fieldPath];
      if (v === undefined) throw new Error(`${c.name}: no stand-in for fieldRef ${e.valueFrom.fieldRef.fieldPath}`);
      env[e.name] = v;
    }
  }
  return env;
}
