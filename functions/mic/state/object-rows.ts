// One row per watched object (live, or a tombstone after a delete), so no cluster size can hit
// Azure Tables' per-row limits. Rows carry uid/resourceVersion for staleness checks, `seq` (the
// cluster's ingest sequence when written, to order rows against snapshots) and, for pods,
// `nodeName` so a node event can find its pods with a server-side filter.
import {
  WatchedKinds, WatchedObjectSchemas,
  type AzureIdentity, type AzureIdentityBinding, type AzurePodIdentityException, type Node, type ObjectMeta, type Pod,
  type SnapshotItem, type WatchedKind,
} from "../../../core/index.ts";
import type { ClusterState } from "../planner/index.ts";
import type { Row, RowProps } from "./backend.ts";
import { objectRowKey } from "./keys.ts";
import { readChunked, writeChunked } from "./limits.ts";
import type { StoredVersion } from "./versions.ts";

/** A watched object with its kind: the shape of snapshot items and object events alike. */
export type KindedObject = SnapshotItem;

export const rowKeyOf = (item: KindedObject): string =>
  objectRowKey(item.kind, item.object.metadata.namespace, item.object.metadata.name);

function baseProps(kind: WatchedKind, meta: ObjectMeta, seq: number): RowProps {
  const props: RowProps = { kind, name: meta.name, namespace: meta.namespace ?? "", seq };
  if (meta.uid !== undefined) props.uid = meta.uid;
  if (meta.resourceVersion !== undefined) props.resourceVersion = meta.resourceVersion;
  return props;
}

export function liveRowProps(item: KindedObject, seq: number): RowProps {
  const props: RowProps = { ...baseProps(item.kind, item.object.metadata, seq), deleted: false };
  if (item.kind === "Pod" && item.object.spec.nodeName) props.nodeName = item.object.spec.nodeName;
  writeChunked(props, "json", JSON.stringify(item.object));
  return props;
}

export function tombstoneRowProps(kind: WatchedKind, meta: ObjectMeta, seq: number): RowProps {
  return { ...baseProps(kind, meta, seq), deleted: true };
}

export function storedVersion(row: Row | undefined): StoredVersion | undefined {
  if (!row) return undefined;
  const str = (k: string) => (typeof row.props[k] === "string" ? (row.props[k]) : undefined);
  return { uid: str("uid"), resourceVersion: str("resourceVersion"), deleted: row.props.deleted === true, json: readChunked(row.props, "json") };
}

export const rowSeq = (row: Row): number => (typeof row.props.seq === "number" ? row.props.seq : 0);

/** The live object stored in a row (undefined for tombstones); validated, since rows outlive code versions. */
export function objectFromRow(row: Row): KindedObject | undefined {
  if (row.props.deleted === true) return undefined;
  const kind = row.props.kind;
  const json = readChunked(row.props, "json");
  if (typeof kind !== "string" || !(WatchedKinds as readonly string[]).includes(kind) || json === undefined) {
    throw new Error(`state row ${row.rowKey} is not an object row`);
  }
  const k = kind as WatchedKind;
  const parsed = WatchedObjectSchemas[k].safeParse(JSON.parse(json));
  if (!parsed.success) throw new Error(`state row ${row.rowKey} holds an invalid ${k}: ${parsed.error.message}`);
  return { kind: k, object: parsed.data } as KindedObject;
}

export function clusterStateOf(items: Iterable<KindedObject>): ClusterState {
  const state: { pods: Pod[]; nodes: Node[]; identities: AzureIdentity[]; bindings: AzureIdentityBinding[]; exceptions: AzurePodIdentityException[] } =
    { pods: [], nodes: [], identities: [], bindings: [], exceptions: [] };
  for (const item of items) {
    switch (item.kind) {
      case "Pod": state.pods.push(item.object); break;
      case "Node": state.nodes.push(item.object); break;
      case "AzureIdentity": state.identities.push(item.object); break;
      case "AzureIdentityBinding": state.bindings.push(item.object); break;
      case "AzurePodIdentityException": state.exceptions.push(item.object); break;
    }
  }
  return state;
}
