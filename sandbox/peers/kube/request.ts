// Turns a request URL into the real server's RequestInfo (verb, group, resource, namespace,
// name, subresource) and reads bodies.
import type { IncomingMessage } from "node:http";
import { badRequest } from "./status.ts";
import type { Json } from "./types.ts";

export interface RequestInfo {
  resourceRequest: boolean;
  path: string;
  query: URLSearchParams;
  verb: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
  /** Path has more segments than any resource URL: always 404. */
  tooDeep: boolean;
}

const NAMESPACE_SUBRESOURCES = new Set(["status", "finalize"]);

export function parseRequestInfo(method: string, rawUrl: string): RequestInfo {
  const url = new URL(rawUrl, "http://peer");
  const parts = url.pathname.split("/").filter((p) => p !== "").map(decodeURIComponent);
  const info: RequestInfo = {
    resourceRequest: false, path: url.pathname, query: url.searchParams, verb: method.toLowerCase(),
    group: "", version: "", resource: "", subresource: "", namespace: "", name: "", tooDeep: false,
  };
  let rest: string[];
  if (parts[0] === "api" && parts.length >= 3) {
    info.version = parts[1] ?? "";
    rest = parts.slice(2);
  } else if (parts[0] === "apis" && parts.length >= 4) {
    info.group = parts[1] ?? "";
    info.version = parts[2] ?? "";
    rest = parts.slice(3);
  } else {
    return info;
  }
  info.resourceRequest = true;
  const q = url.searchParams.get("watch");
  let watch = q === "true" || q === "1";
  if (rest[0] === "watch") { watch = true; rest = rest.slice(1); }
  if (rest[0] === "namespaces" && rest.length > 1) {
    info.namespace = rest[1] ?? "";
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2] ?? "")) rest = rest.slice(2);
  }
  info.resource = rest[0] ?? "";
  info.name = rest[1] ?? "";
  info.subresource = rest[2] ?? "";
  info.tooDeep = rest.length > 3;
  switch (method) {
    case "GET": case "HEAD": info.verb = watch ? "watch" : info.name ? "get" : "list"; break;
    case "POST": info.verb = "create"; break;
    case "PUT": info.verb = "update"; break;
    case "PATCH": info.verb = "patch"; break;
    case "DELETE": info.verb = info.name ? "delete" : "deletecollection"; break;
  }
  return info;
}

export async function readBody(req: IncomingMessage, limit = 3 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    // The real server's limit is 3 MiB per request body (etcd's value limit is near it).
    if (size > limit) throw badRequest("request entity too large");
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export function parseJson(text: string, what = "body"): Json {
  try {
    return JSON.parse(text) as Json;
  } catch (err) {
    throw badRequest(`the ${what} could not be decoded: ${(err as Error).message}`);
  }
}

/** Media type without parameters, lower case. */
export const mediaType = (header: string | undefined): string => (header ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
