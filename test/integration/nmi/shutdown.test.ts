// stop({ drainMs }) — what nmi/main.ts does on SIGTERM after removing the rules: no new
// connections, but a request already inside NMI (here: waiting for its pod to appear) still
// gets its answer instead of a reset connection.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { NmiHarness } from "../../helpers/nmi-harness.ts";

let h: NmiHarness;
before(async () => {
  h = await NmiHarness.start({ nmi: { waitBudgetMs: 800, pollIntervalMs: 50 } });
});
after(() => h.close());

test("drain: the in-flight request is answered, new connections are refused, stop resolves once it is done", async () => {
  const port = h.nmi.addresses.token.port;
  // Unknown caller: NMI waits up to the budget for the pod, then answers a transient 404.
  const inflight = h.token("127.0.5.9", { resource: "https://vault.azure.net" });
  await new Promise((r) => setTimeout(r, 150));
  const started = Date.now();
  const stopping = h.nmi.stop({ drainMs: 5000 });
  await new Promise((r) => setTimeout(r, 50));
  await assert.rejects(h.request("/healthz", { from: "127.0.5.10", port }), /ECONNREFUSED/, "token port closed for new connections");
  const r = await inflight;
  assert.deepEqual([r.status, r.code], [404, "PODID_NMI_POD_NOT_FOUND"], r.text);
  await stopping;
  const took = Date.now() - started;
  assert.ok(took < 2000, `stop waited for the request only (${took} ms), not the whole drain budget`);
});
