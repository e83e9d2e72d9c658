// Discovery documents (legacy, unaggregated form: kubectl and client-go fall back to it when
// the server answers plain application/json) and /version.
import type { Registry } from "./resources.ts";
import type { JsonObject, ResourceDef } from "./types.ts";

const VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

export const VERSION_INFO: JsonObject = {
  major: "1", minor: "32", gitVersion: "v1.32.0-podid-peer", gitCommit: "0000000000000000000000000000000000000000",
  gitTreeState: "clean", buildDate: "2025-01-01T00:00:00Z", goVersion: "go1.23.0", compiler: "gc", platform: "linux/amd64",
};

function resourceList(groupVersion: string, defs: ResourceDef[]): JsonObject {
  const resources: JsonObject[] = [];
  for (const d of [...defs].sort((a, b) => a.plural.localeCompare(b.plural))) {
    const r: JsonObject = { name: d.plural, singularName: d.singular, namespaced: d.namespaced, kind: d.kind, verbs: VERBS };
    if (d.shortNames.length > 0) r.shortNames = d.shortNames;
    if (d.categories.length > 0) r.categories = d.categories;
    resources.push(r);
    if (d.statusSubresource) {
      resources.push({ name: `${d.plural}/status`, singularName: "", namespaced: d.namespaced, kind: d.kind, verbs: ["get", "patch", "update"] });
    }
  }
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion, resources };
}

function groupDoc(name: string, versions: string[]): JsonObject {
  const vs = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: vs, preferredVersion: vs[0] ?? {} };
}

function groupsOf(registry: Registry): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const d of registry.all().filter((x) => x.group !== "")) {
    const vs = groups.get(d.group) ?? [];
    if (!vs.includes(d.version)) vs.push(d.version);
    groups.set(d.group, vs);
  }
  return groups;
}

/** The discovery document for a non-resource path, or undefined if there is none. */
export function discovery(registry: Registry, path: string, serverAddress: string): JsonObject | undefined {
  const parts = path.split("/").filter((p) => p !== "");
  if (parts[0] === "api") {
    if (parts.length === 1) {
      return { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }] };
    }
    if (parts.length === 2 && parts[1] === "v1") return resourceList("v1", registry.all().filter((d) => d.group === ""));
    return undefined;
  }
  if (parts[0] !== "apis") return undefined;
  const groups = groupsOf(registry);
  if (parts.length === 1) {
    return { kind: "APIGroupList", apiVersion: "v1", groups: [...groups].map(([g, vs]) => groupDoc(g, vs)) };
  }
  const [, group = "", version] = parts;
  const versions = groups.get(group);
  if (!versions) return undefined;
  if (parts.length === 2) return { kind: "APIGroup", apiVersion: "v1", ...groupDoc(group, versions) };
  if (parts.length === 3 && version && versions.includes(version)) {
    return resourceList(`${group}/${version}`, registry.all().filter((d) => d.group === group && d.version === version));
  }
  return undefined;
}
