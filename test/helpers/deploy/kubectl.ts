// Renders the kustomize overlays with the real kubectl (its built-in kustomize v5), so the
// tests check what `kubectl apply -k` would send, not a re-implementation of kustomize.
import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";

const run = promisify(execFile);

export type K8sObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
};

/** kubectl on PATH (or $PODID_KUBECTL); a clear error when missing, never a silent skip. */
export function findKubectl(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PODID_KUBECTL) return env.PODID_KUBECTL;
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, "kubectl");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch { /* next */ }
  }
  throw new Error(
    "kubectl is not installed: the manifest tests render infra/ with `kubectl kustomize` (kustomize v5). " +
    "Install it (bash .ci/install-kubectl.sh, which .ci/run calls) or set PODID_KUBECTL to its path.",
  );
}

export function parseYamlObjects(text: string, source: string): K8sObject[] {
  const out: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors.map((e) => e.message).join("; ")}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== "object" || Array.isArray(value)) throw new Error(`${source}: a document is not an object`);
    const o = value as Record<string, unknown>;
    const meta = o.metadata as Record<string, unknown> | undefined;
    if (typeof o.apiVersion !== "string" || typeof o.kind !== "string" || typeof meta?.name !== "string") {
      throw new Error(`${source}: object without apiVersion/kind/metadata.name`);
    }
    out.push(o as K8sObject);
  }
  return out;
}

/** `kubectl kustomize <dir>` → the objects it renders, in order. */
export async function kustomize(dir: string): Promise<K8sObject[]> {
  const kubectl = findKubectl();
  const { stdout } = await run(kubectl, ["kustomize", dir], { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
  return parseYamlObjects(stdout, `kubectl kustomize ${dir}`);
}

export function kubectlVersion(): Promise<string> {
  return run(findKubectl(), ["version", "--client"], { timeout: 30_000 }).then((r) => r.stdout);
}
