// Row keys. Azure Tables forbids / \ # ? and control characters in keys, and host keys and
// object names may contain some of them, so every component is percent-encoded
// (encodeURIComponent also encodes `|`, which therefore separates components unambiguously).
import type { WatchedKind } from "../../../core/index.ts";

export const META_ROW = "meta";

export function encodeKeyPart(part: string): string {
  // encodeURIComponent leaves ! ' ( ) * ~ alone: all allowed in keys.
  return encodeURIComponent(part);
}

export function decodeKeyPart(part: string): string {
  return decodeURIComponent(part);
}

export const objectPrefix = (kind?: WatchedKind): string => (kind === undefined ? "obj|" : `obj|${kind}|`);

export function objectRowKey(kind: WatchedKind, namespace: string | undefined, name: string): string {
  // Cluster-scoped objects (nodes) have no namespace: an empty component, distinct from "default".
  return `obj|${kind}|${encodeKeyPart(namespace ?? "")}|${encodeKeyPart(name)}`;
}

export const HOST_PREFIX = "host|";
export const hostRowKey = (hostKey: string): string => `${HOST_PREFIX}${encodeKeyPart(hostKey)}`;

export const SNAPSHOT_PREFIX = "snap|";
export const snapshotPartsPrefix = (snapshotId: string): string => `${SNAPSHOT_PREFIX}${encodeKeyPart(snapshotId)}|`;
export const snapshotPartRowKey = (snapshotId: string, part: number): string =>
  `${snapshotPartsPrefix(snapshotId)}${String(part).padStart(6, "0")}`;

export const PUBLISHED_PREFIX = "aai|";
export const publishedRowKey = (namespace: string, name: string): string =>
  `${PUBLISHED_PREFIX}${encodeKeyPart(namespace)}|${encodeKeyPart(name)}`;
