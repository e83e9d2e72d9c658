// A minimal /openapi/v3: just enough for kubectl's create/apply to see that the server checks
// fields itself (a PATCH operation per kind declaring `fieldValidation`), so kubectl sends
// `fieldValidation=Strict` instead of failing to download schemas for client-side validation.
import type { Registry } from "./resources.ts";
import type { JsonObject } from "./types.ts";

const gvPath = (group: string, version: string): string => (group === "" ? `api/${version}` : `apis/${group}/${version}`);

export function openapiV3(registry: Registry, path: string): JsonObject | undefined {
  const defs = registry.all();
  if (path === "/openapi/v3" || path === "/openapi/v3/") {
    const paths: JsonObject = {};
    for (const d of defs) paths[gvPath(d.group, d.version)] = { serverRelativeURL: `/openapi/v3/${gvPath(d.group, d.version)}` };
    return { paths };
  }
  const gv = path.replace(/^\/openapi\/v3\//, "");
  const mine = defs.filter((d) => gvPath(d.group, d.version) === gv);
  if (mine.length === 0) return undefined;
  const paths: JsonObject = {};
  for (const d of mine) {
    const scope = d.namespaced ? "namespaces/{namespace}/" : "";
    paths[`/${gv}/${scope}${d.plural}/{name}`] = {
      patch: {
        operationId: `patch${d.kind}`,
        "x-kubernetes-group-version-kind": { group: d.group, version: d.version, kind: d.kind },
        parameters: ["dryRun", "fieldManager", "fieldValidation", "force"].map((name) => ({ name, in: "query", schema: { type: "string" } })),
        responses: { "200": { description: "OK" } },
      },
    };
  }
  return { openapi: "3.0.0", info: { title: "Kubernetes", version: "v1.32.0" }, paths, components: { schemas: {} } };
}
