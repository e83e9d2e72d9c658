// Raw JSON access to the API server with the KubeConfig's credentials and TLS settings
// (client-node resolves tokens, client certificates and exec plugins). Raw JSON, not the
// generated clients: those turn timestamps into Date objects, while podid validates the wire
// shape with core's zod schemas.
import type https from "node:https";
import { z } from "zod";
import { CliError, errorMessage } from "../errors.ts";
import { httpGet, type HttpReply } from "../http.ts";
import type { KubeTarget } from "./config.ts";

export class KubeApiError extends CliError {
  constructor(readonly status: number, readonly reason: string, message: string, hint?: string) {
    super(message, hint);
  }
}

const StatusSchema = z.looseObject({ message: z.string().optional(), reason: z.string().optional() });
const ListSchema = z.looseObject({ items: z.array(z.unknown()).nullable().optional(), metadata: z.looseObject({ continue: z.string().optional() }).optional() });

export interface KubeApi {
  readonly target: KubeTarget;
  /** GET a JSON object; undefined on 404. */
  getJson(path: string): Promise<unknown>;
  /** GET every item of a list, following `continue`. */
  list(path: string, query?: Record<string, string>): Promise<unknown[]>;
  /** GET a text resource (pod logs). */
  getText(path: string, query?: Record<string, string>): Promise<string>;
  /** GET through the API server (pod proxy): any status is returned, not thrown. */
  raw(path: string, headers?: Record<string, string>): Promise<HttpReply>;
}

export function createKubeApi(target: KubeTarget, timeoutMs: number): KubeApi {
  let prepared: Promise<https.RequestOptions> | undefined;
  const options = (): Promise<https.RequestOptions> => (prepared ??= requestOptions(target));
  const base = target.server.replace(/\/+$/, "");

  async function get(path: string, query: Record<string, string> = {}, accept = "application/json", headers: Record<string, string> = {}): Promise<HttpReply> {
    const url = new URL(base + path);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    return httpGet(url, {
      request: await options(), timeoutMs, what: `the API server at ${target.server} (context "${target.context}")`,
      headers: { Accept: accept, "User-Agent": "podid-cli", ...headers },
    });
  }

  function fail(reply: HttpReply, path: string): never {
    let status: z.infer<typeof StatusSchema> = {};
    try {
      status = StatusSchema.parse(JSON.parse(reply.text));
    } catch {
      // not a Status body (a proxy in front of the API server): keep the raw text
    }
    const message = status.message ?? (reply.text.trim().slice(0, 200) || `HTTP ${reply.status}`);
    const hint = reply.status === 401 ? `check the credentials of context "${target.context}"` : undefined;
    throw new KubeApiError(reply.status, status.reason ?? "", `GET ${path}: ${reply.status} ${message}`, hint);
  }

  return {
    target,
    async getJson(path) {
      const reply = await get(path);
      if (reply.status === 404) return undefined;
      if (reply.status !== 200) fail(reply, path);
      return parseJson(reply.text, path);
    },
    async list(path, query = {}) {
      const items: unknown[] = [];
      let cont = "";
      do {
        const reply = await get(path, { ...query, limit: "500", ...(cont ? { continue: cont } : {}) });
        if (reply.status !== 200) fail(reply, path);
        const parsed = ListSchema.safeParse(parseJson(reply.text, path));
        if (!parsed.success) throw new CliError(`GET ${path}: the answer is not a list`);
        items.push(...(parsed.data.items ?? []));
        cont = parsed.data.metadata?.continue ?? "";
      } while (cont !== "");
      return items;
    },
    async getText(path, query = {}) {
      const reply = await get(path, query, "text/plain, */*");
      if (reply.status !== 200) fail(reply, path);
      return reply.text;
    },
    async raw(path, headers = {}) {
      return get(path, {}, "application/json, */*", headers);
    },
  };
}

async function requestOptions(target: KubeTarget): Promise<https.RequestOptions> {
  const opts: https.RequestOptions = {};
  try {
    await target.kc.applyToHTTPSOptions(opts);
  } catch (err) {
    // client-node refuses plain-http servers unless TLS verification is "skipped"; kubectl
    // talks to them anyway. Headers (credentials) were applied before the refusal.
    if (!target.server.startsWith("http:")) {
      throw new CliError(`cannot use the credentials of context "${target.context}": ${errorMessage(err)}`);
    }
    delete opts.agent;
  }
  return opts;
}

function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`GET ${path}: the API server answered with something that is not JSON`);
  }
}
