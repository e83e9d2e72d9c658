// Builders for the RPC typed data the Functions host sends a Node worker, and decoders for what
// the worker sends back. Shapes follow the host's conversions as far as we know them; each
// helper says where a detail is a best understanding rather than a verified fact.
import { randomUUID } from "node:crypto";
import type { RpcHttpData, RpcTypedData } from "./core-types.ts";

export const typed = {
  string: (s: string): RpcTypedData => ({ string: s }),
  json: (v: unknown): RpcTypedData => ({ json: JSON.stringify(v) }),
  bytes: (b: Uint8Array): RpcTypedData => ({ bytes: b }),
  int: (n: number): RpcTypedData => ({ int: n }),
  strings: (a: string[]): RpcTypedData => ({ collectionString: { string: a } }),
  ints: (a: number[]): RpcTypedData => ({ collectionSint64: { sint64: a } }),
};

/** RPC typed data → JS value, the way `@azure/functions` decodes it (string is JSON-parsed if it can be). */
export function decodeTypedData(td: RpcTypedData | null | undefined): unknown {
  if (!td) return undefined;
  if (td.string !== undefined) { try { return JSON.parse(td.string) as unknown; } catch { return td.string; } }
  if (td.json !== undefined) return JSON.parse(td.json) as unknown;
  if (td.bytes !== undefined) return Buffer.from(td.bytes);
  if (td.int !== undefined) return td.int;
  if (td.double !== undefined) return td.double;
  if (td.http !== undefined) return td.http;
  if (td.collectionString) return td.collectionString.string;
  if (td.collectionSint64) return td.collectionSint64.sint64;
  return undefined;
}

export interface HttpRequestSpec {
  method?: string;
  url: string;
  headers?: Record<string, string>;
  /** Defaults to the URL's query string. */
  query?: Record<string, string>;
  /** Route parameters, as the host extracts them from `route`. */
  params?: Record<string, string>;
  /** string or bytes are sent as-is; anything else as JSON (content-type set if absent). */
  body?: unknown;
}

export function httpRequest(spec: HttpRequestSpec): RpcTypedData {
  const headers = { ...(spec.headers ?? {}) };
  let body: RpcTypedData | undefined;
  if (typeof spec.body === "string") body = { string: spec.body };
  else if (spec.body instanceof Uint8Array) body = { bytes: spec.body };
  else if (spec.body !== undefined) {
    body = { string: JSON.stringify(spec.body) };
    if (!Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) headers["content-type"] = "application/json";
  }
  const query = spec.query ?? Object.fromEntries(new URL(spec.url).searchParams);
  const http: RpcHttpData = { method: spec.method ?? "GET", url: spec.url, headers, query, params: spec.params ?? {} };
  if (body) http.body = body;
  return { http };
}

export interface HttpResult {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  text(): string;
  json(): unknown;
}

/** The HTTP output binding's typed data → a readable response; no return value reads as 204. */
export function decodeHttpResponse(td: RpcTypedData | null | undefined): HttpResult {
  const http = td?.http;
  const raw = http?.body;
  const body = raw?.bytes ? Buffer.from(raw.bytes) : Buffer.from(raw?.string ?? "");
  return {
    status: http ? Number(http.statusCode ?? 200) : 204,
    headers: { ...(http?.headers ?? {}) },
    body,
    text: () => body.toString("utf8"),
    json: () => JSON.parse(body.toString("utf8")) as unknown,
  };
}

/** Timer trigger input in the host's PascalCase (the library camelCases it). */
export function timerInput(opts: { isPastDue?: boolean; last?: Date; next?: Date; now?: Date } = {}): RpcTypedData {
  const now = opts.now ?? new Date();
  return typed.json({
    Schedule: { AdjustForDST: true },
    ScheduleStatus: {
      Last: (opts.last ?? now).toISOString(),
      Next: (opts.next ?? new Date(now.getTime() + 60_000)).toISOString(),
      LastUpdated: now.toISOString(),
    },
    IsPastDue: opts.isPastDue ?? false,
  });
}

export interface ServiceBusMessageSpec {
  /** string → string typed data (the worker JSON-parses it if it can); Buffer → bytes; else JSON text. */
  body: unknown;
  messageId?: string;
  /** The host reports the .NET SDK's DeliveryCount, 1 on first delivery. */
  deliveryCount?: number;
  enqueuedTimeUtc?: Date;
  sequenceNumber?: number;
  sessionId?: string;
  contentType?: string;
  correlationId?: string;
  subject?: string;
  applicationProperties?: Record<string, unknown>;
}

function bodyData(body: unknown): RpcTypedData {
  if (typeof body === "string") return { string: body };
  if (body instanceof Uint8Array) return { bytes: body };
  return { string: JSON.stringify(body) };
}

interface SbFacts {
  messageId: string; deliveryCount: number; enqueued: string; sequenceNumber: number; lockToken: string;
  spec: ServiceBusMessageSpec;
}

function facts(spec: ServiceBusMessageSpec, i: number): SbFacts {
  return {
    messageId: spec.messageId ?? randomUUID().replaceAll("-", ""),
    deliveryCount: spec.deliveryCount ?? 1,
    enqueued: (spec.enqueuedTimeUtc ?? new Date()).toISOString(),
    sequenceNumber: spec.sequenceNumber ?? i + 1,
    lockToken: randomUUID(),
    spec,
  };
}

/**
 * One Service Bus message (cardinality one), with the SB extension's binding data: MessageId,
 * DeliveryCount, EnqueuedTimeUtc, SequenceNumber, LockToken, ContentType, CorrelationId, Subject
 * and Label, SessionId, ApplicationProperties and UserProperties (the same dictionary).
 */
export function serviceBusMessage(spec: ServiceBusMessageSpec): { trigger: RpcTypedData; triggerMetadata: Record<string, RpcTypedData> } {
  const f = facts(spec, 0);
  const md: Record<string, RpcTypedData> = {
    MessageId: typed.string(f.messageId),
    DeliveryCount: typed.int(f.deliveryCount),
    EnqueuedTimeUtc: typed.string(f.enqueued),
    SequenceNumber: typed.int(f.sequenceNumber),
    LockToken: typed.string(f.lockToken),
    ApplicationProperties: typed.json(spec.applicationProperties ?? {}),
    UserProperties: typed.json(spec.applicationProperties ?? {}),
  };
  if (spec.contentType !== undefined) md.ContentType = typed.string(spec.contentType);
  if (spec.correlationId !== undefined) md.CorrelationId = typed.string(spec.correlationId);
  if (spec.subject !== undefined) { md.Subject = typed.string(spec.subject); md.Label = typed.string(spec.subject); }
  if (spec.sessionId !== undefined) md.SessionId = typed.string(spec.sessionId);
  return { trigger: bodyData(spec.body), triggerMetadata: md };
}

/**
 * A batch (cardinality many): bodies as a string collection, binding data as parallel
 * `…Array` entries (names verified in the SB extension's binding strategy; the RPC encoding of
 * each array — string/int collections, JSON for dates and dictionaries — is a best understanding).
 */
export function serviceBusBatch(specs: ServiceBusMessageSpec[]): { trigger: RpcTypedData; triggerMetadata: Record<string, RpcTypedData> } {
  const fs = specs.map(facts);
  const props = fs.map((f) => f.spec.applicationProperties ?? {});
  const body = (b: unknown): string => (typeof b === "string" ? b : JSON.stringify(b));
  return {
    trigger: typed.strings(specs.map((s) => body(s.body))),
    triggerMetadata: {
      MessageIdArray: typed.strings(fs.map((f) => f.messageId)),
      DeliveryCountArray: typed.ints(fs.map((f) => f.deliveryCount)),
      SequenceNumberArray: typed.ints(fs.map((f) => f.sequenceNumber)),
      EnqueuedTimeUtcArray: typed.json(fs.map((f) => f.enqueued)),
      LockTokenArray: typed.strings(fs.map((f) => f.lockToken)),
      SessionIdArray: typed.strings(fs.map((f) => f.spec.sessionId ?? "")),
      ContentTypeArray: typed.strings(fs.map((f) => f.spec.contentType ?? "")),
      CorrelationIdArray: typed.strings(fs.map((f) => f.spec.correlationId ?? "")),
      ApplicationPropertiesArray: typed.json(props),
      UserPropertiesArray: typed.json(props),
    },
  };
}
