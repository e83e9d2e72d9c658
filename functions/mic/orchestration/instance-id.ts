// One orchestration instance per (cluster, host): the id is derived, never stored, so every
// poker (ingest, resync timer, resync API) addresses the same instance and two ARM writes to a
// host can never run at once. Host ids contain '/', which instance ids forbid; a hash of the
// case-insensitive host key keeps ids short and valid (cluster names are [A-Za-z0-9._-]).
import { createHash } from "node:crypto";
import { resourceIdKey } from "../../../core/index.ts";

export const INSTANCE_PREFIX = "reconcile";

export function reconcileInstanceId(cluster: string, hostKeyOrId: string): string {
  const hash = createHash("sha256").update(resourceIdKey(hostKeyOrId)).digest("hex").slice(0, 24);
  return `${INSTANCE_PREFIX}:${cluster}:${hash}`;
}
