// Watch streams: newline-delimited {type, object} over a chunked 200 whose headers are flushed
// at once (client-node's fetch waits for them). Replays history from resourceVersion, sends
// BOOKMARKs when allowed, ends on timeoutSeconds, and reports a compacted resourceVersion the
// way the server is configured to (ERROR event with a 410 Status, or a 410 response).
import type { ServerResponse } from "node:http";
import { expired, type KubeError, badRequest } from "./status.ts";
import type { Store, StoreEvent } from "./store.ts";
import type { JsonObject, KubeObject, ResourceDef } from "./types.ts";
import type { Matcher } from "./filter.ts";
import { apiVersionOf } from "./validation.ts";

export interface WatchRequest {
  def: ResourceDef;
  key: string;
  namespace: string | undefined;
  matches: Matcher;
  query: URLSearchParams;
  /** Renders objects for the client (e.g. as a one-row Table for kubectl). */
  render: (o: KubeObject) => JsonObject;
}

export interface WatchSettings { bookmarkIntervalMs: number; expiredAs: "event" | "status" }

interface Stream { end(): void; drop(): void; expire(): void }

export class WatchHub {
  private readonly streams = new Set<Stream>();

  constructor(private readonly store: Store, private readonly settings: WatchSettings) {}

  count(): number { return this.streams.size; }
  closeAll(): void { for (const s of [...this.streams]) s.end(); }
  dropAll(): void { for (const s of [...this.streams]) s.drop(); }
  expireAll(): void { for (const s of [...this.streams]) s.expire(); }

  /** Returns an error to answer with instead (bad parameters, or 410 in "status" mode). */
  serve(w: WatchRequest, res: ServerResponse): KubeError | undefined {
    const rvParam = w.query.get("resourceVersion") ?? "";
    if (rvParam !== "" && !/^\d+$/.test(rvParam)) return badRequest(`resourceVersion: Invalid value: "${rvParam}": must be a valid resourceVersion`);
    const fromNow = rvParam === "" || rvParam === "0";
    const replay = fromNow ? [] : this.store.since(w.key, Number(rvParam));
    const gone = replay === undefined ? expired(`too old resource version: ${rvParam} (${this.store.compactedAt()})`) : undefined;
    if (gone && this.settings.expiredAs === "status") return gone;

    res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-cache, private", "Transfer-Encoding": "chunked" });
    res.flushHeaders();
    const send = (type: string, object: JsonObject): void => { res.write(`${JSON.stringify({ type, object })}\n`); };
    if (gone) { send("ERROR", gone.toStatus()); res.end(); return undefined; }

    const bookmarks = w.query.get("allowWatchBookmarks") === "true";
    const bookmark = (annotations?: Record<string, string>): void => {
      const metadata: JsonObject = { resourceVersion: String(this.store.currentRv()) };
      if (annotations) metadata.annotations = annotations;
      send("BOOKMARK", { kind: w.def.kind, apiVersion: apiVersionOf(w.def), metadata });
    };
    const deliver = (e: StoreEvent): void => {
      if (e.key !== w.key) return;
      if (w.namespace !== undefined && (e.object.metadata.namespace ?? "") !== w.namespace) return;
      const now = w.matches(e.object);
      const before = e.prev !== undefined && w.matches(e.prev);
      // Selector transitions look like ADDED/DELETED to the watcher, as on the real server.
      let type: string | undefined;
      if (e.type === "ADDED") type = now ? "ADDED" : undefined;
      else if (e.type === "DELETED") type = before || now ? "DELETED" : undefined;
      else type = now && before ? "MODIFIED" : now ? "ADDED" : before ? "DELETED" : undefined;
      if (type) send(type, w.render(e.object));
    };

    if (fromNow) {
      for (const o of this.store.list(w.key, w.namespace)) if (w.matches(o)) send("ADDED", w.render(o));
      if (bookmarks && w.query.get("sendInitialEvents") === "true") bookmark({ "k8s.io/initial-events-end": "true" });
    } else {
      for (const e of replay ?? []) deliver(e);
    }
    const unsubscribe = this.store.subscribe(deliver);
    const timers: NodeJS.Timeout[] = [];
    if (bookmarks) timers.push(setInterval(() => bookmark(), this.settings.bookmarkIntervalMs));
    const timeout = Number(w.query.get("timeoutSeconds") ?? "");
    if (timeout > 0) timers.push(setTimeout(() => stream.end(), timeout * 1000));

    const stream: Stream = {
      end: () => { cleanup(); res.end(); },
      drop: () => { cleanup(); res.socket?.destroy(); },
      expire: () => { send("ERROR", expired("The resourceVersion for the provided watch is too old.").toStatus()); stream.end(); },
    };
    const cleanup = (): void => {
      unsubscribe();
      for (const t of timers) clearTimeout(t);
      this.streams.delete(stream);
    };
    this.streams.add(stream);
    res.on("close", cleanup);
    return undefined;
  }
}
