// Shared types of the kube-apiserver peer.
import type { IncomingHttpHeaders } from "node:http";

/** A JSON value as stored (objects are plain JSON; the peer never keeps class instances). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: KubeMeta;
  [key: string]: Json | KubeMeta | undefined;
}

export interface KubeMeta {
  name: string;
  namespace?: string;
  generateName?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  [key: string]: Json | undefined;
}

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
}

/** One served resource (built-in or from a CRD), one version. */
export interface ResourceDef {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** Declares a `/status` subresource: main writes keep status, status writes keep the rest. */
  statusSubresource: boolean;
  /** Structural openAPIV3Schema (CRDs only). */
  schema?: JsonObject;
  printerColumns: PrinterColumn[];
  /** Extra fieldSelector fields beyond metadata.name/namespace, with how to read them. */
  fields: Record<string, (o: KubeObject) => string>;
  crd: boolean;
}

export interface UserInfo {
  username: string;
  groups: string[];
}

/** What an authorizer sees; mirrors the real server's authorizer.Attributes. */
export interface RequestAttributes {
  user: UserInfo;
  verb: string;
  resourceRequest: boolean;
  /** For non-resource requests (discovery, /version). */
  path: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

export type AuthorizeFn = (attrs: RequestAttributes) =>
  boolean | { allowed: boolean; reason?: string } | Promise<boolean | { allowed: boolean; reason?: string }>;

export interface InjectedError {
  method?: string;
  pathPrefix?: string;
  status: number;
  reason?: string;
  message?: string;
  /** How many matching requests fail (default 1). */
  times?: number;
  retryAfterSeconds?: number;
}

export interface RequestLogEntry {
  time: string;
  method: string;
  path: string;
  query: string;
  user: string;
  verb: string;
  contentType: string;
  status: number;
}

export interface StartKubePeerOptions {
  port?: number;
  host?: string;
  /** Folder of CRD manifests to serve (default: the repo's infra/crds). `null`: none. */
  crdDir?: string | null;
  /** Serve HTTPS with this certificate. kubectl (client-go) never sends a bearer token over
   *  plain HTTP, so token checks against kubectl need TLS. */
  tls?: { cert: string; key: string; caCertPath?: string };
  /** Bearer token every request must carry (401 otherwise), user "admin" in system:masters. */
  token?: string;
  /** More tokens, each its own user (for RBAC tests). */
  tokens?: Record<string, UserInfo>;
  authorize?: AuthorizeFn;
  /** BOOKMARK cadence for watches that allow them (real server: about a minute). */
  bookmarkIntervalMs?: number;
  /** How a watch from a compacted resourceVersion fails: real servers open the stream and send
   *  an ERROR event (default); "status" answers 410 before streaming, as old servers did. */
  watchExpiredAs?: "event" | "status";
  /** Events kept for watch replay before the oldest are compacted away (default 10000). */
  historyLimit?: number;
  /** Seed namespaces default, kube-system, kube-public, kube-node-lease (default true). */
  seedNamespaces?: boolean;
}

export interface KubePeer {
  url: string;
  port: number;
  /** CA file that verifies the peer's certificate (when started with tls.caCertPath). */
  caCertPath?: string;
  close(): Promise<void>;
  /** Current global resourceVersion. */
  resourceVersion(): number;
  /** Drops all watch history: watches from any earlier resourceVersion get 410. */
  compact(): void;
  /** Destroys every watch connection without ending the chunked stream (a network cut). */
  dropWatches(): void;
  /** Ends every watch stream cleanly (as a server-side timeout does). */
  closeWatches(): void;
  /** Sends ERROR 410 (Expired) on every watch, then ends it (watch cache re-initialised). */
  expireWatches(): void;
  /** Number of open watch streams. */
  watchCount(): number;
  injectLatency(ms: number): void;
  injectError(e: InjectedError): void;
  clearInjectedErrors(): void;
  /** Direct store access (no HTTP, no validation, no auth); emits watch events. */
  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined;
  list(resource: string, namespace?: string): KubeObject[];
  put(resource: string, obj: KubeObject): KubeObject;
  remove(resource: string, namespace: string | undefined, name: string): KubeObject | undefined;
  ensureNamespace(name: string): void;
  /** Content served by `GET …/pods/<name>/log` (container omitted: the pod's first one). */
  setPodLog(namespace: string, name: string, text: string, container?: string): void;
  appendPodLog(namespace: string, name: string, text: string, container?: string): void;
  requests: RequestLogEntry[];
  clearRequests(): void;
}

export type Headers = IncomingHttpHeaders;
