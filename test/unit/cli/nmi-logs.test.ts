// Filtering NMI's pino JSON log down to one pod's lines.
import assert from "node:assert/strict";
import { test } from "node:test";
import { pino } from "pino";
import { filterNmiLog } from "../../../cli/diagnose/nmi-logs.ts";

/** Lines shaped as NMI writes them: component/node, then reqId/op, then pod/namespace. */
function nmiLog(): string {
  const lines: string[] = [];
  const root = pino({ level: "debug" }, { write: (l: string) => void lines.push(l) }).child({ component: "nmi", node: "node-a" });
  root.info({ token: "127.0.0.1:2579" }, "NMI ready");
  const req = (pod: string, ns: string, fields: Record<string, unknown>, level: "info" | "warn" = "info"): void => {
    root.child({ reqId: "r1", remote: "10.0.0.5", op: "token" }).child({ pod, namespace: ns, identity: "web-id", clientId: "aaaa##### REDACTED #####zzzz" })[level](fields, "request");
  };
  req("web-1", "default", { status: 200, outcome: "token", reason: "assigned:cache-miss", durationMs: 12 });
  req("web-1", "other", { status: 200, outcome: "token", reason: "x", durationMs: 1 });
  req("api-1", "default", { status: 403, outcome: "denied", reason: "nothing-bound", code: "PODID_NMI_NO_IDENTITY_BOUND", durationMs: 0 });
  lines.push("not json: a stack trace line\n", "{broken json\n");
  req("web-1", "default", { status: 503, outcome: "transient", reason: "imds-unavailable", code: "PODID_NMI_UPSTREAM_UNAVAILABLE", durationMs: 900 }, "warn");
  return lines.join("");
}

test("keeps only the pod's lines (name and namespace), reads NMI's fields, oldest first", () => {
  const r = filterNmiLog(nmiLog(), { namespace: "default", pod: "web-1" }, 10);
  assert.equal(r.scanned, 5);
  assert.deepEqual(r.lines.map((l) => [l.level, l.msg, l.status, l.outcome, l.reason, l.code, l.identity, l.clientId]), [
    ["info", "request", 200, "token", "assigned:cache-miss", undefined, "web-id", "aaaa##### REDACTED #####zzzz"],
    ["warn", "request", 503, "transient", "imds-unavailable", "PODID_NMI_UPSTREAM_UNAVAILABLE", "web-id", "aaaa##### REDACTED #####zzzz"],
  ]);
  assert.match(r.lines[0]?.time ?? "", /^\d{4}-\d\d-\d\dT/);
  assert.equal(r.lines[0]?.durationMs, 12);
});

test("limit keeps the most recent lines; no match gives none", () => {
  const r = filterNmiLog(nmiLog(), { namespace: "default", pod: "web-1" }, 1);
  assert.deepEqual(r.lines.map((l) => l.status), [503]);
  assert.deepEqual(filterNmiLog(nmiLog(), { namespace: "default", pod: "nope" }, 10).lines, []);
  assert.deepEqual(filterNmiLog("", { namespace: "default", pod: "x" }, 10), { scanned: 0, lines: [] });
});
