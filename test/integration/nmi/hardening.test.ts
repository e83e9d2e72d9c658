// What a misbehaving pod can do to NMI itself: spell one resource many ways to grow the metric
// series, or stream an endless body through the /metadata proxy (Node answers an unfinished
// request with `connection: close`; this guards that the proxy keeps relying on it safely).
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, test } from "node:test";
import { assigned, identity, pod } from "../../helpers/nmi-fixtures.ts";
import { NmiHarness } from "../../helpers/nmi-harness.ts";

let h: NmiHarness;
const id = identity("hard-id");
const p = pod("hard-pod", { ip: "127.0.0.2", label: "hard" });

before(async () => {
  h = await NmiHarness.start();
  h.assignToHost(id);
  await h.apply("azureidentities", id);
  await h.apply("pods", p);
  await h.apply("azureassignedidentities", assigned(p, id, { status: "Assigned" }));
});
after(() => h.close());

test("one resource spelled with any number of trailing slashes is one metric series", async () => {
  const spellings = ["https://vault.azure.net", "https://vault.azure.net/", "https://vault.azure.net//", "https://vault.azure.net///"];
  for (const resource of spellings) {
    const r = await h.token("127.0.0.2", { resource });
    assert.equal(r.status, 200, r.text);
  }
  const m = await h.metrics();
  const series = m.split("\n").filter((l) => l.startsWith("aadpodidentity_nmi_operations_duration_seconds_count{") && l.includes("vault.azure.net"));
  assert.equal(series.length, 1, series.join("\n"));
  assert.match(series[0] ?? "", /resource="https:\/\/vault\.azure\.net"\} 4$/);
});

test("a body past the proxy's limit is answered 400 and the connection closed, not drained", async () => {
  const { status, closed } = await new Promise<{ status: number; closed: boolean }>((resolve, reject) => {
    const req = http.request({
      host: "127.0.0.1", port: h.nmi.addresses.token.port, localAddress: "127.0.0.2", agent: false,
      method: "POST", path: "/metadata/instance/compute?api-version=2021-02-01", headers: { Metadata: "true", "content-type": "application/json" },
    });
    const timer = setTimeout(() => { req.destroy(); reject(new Error("no answer: NMI kept reading the body")); }, 10_000);
    req.on("response", (res) => {
      res.resume();
      // The body is never ended: only the server closing the socket ends this exchange.
      req.socket?.once("close", () => { clearTimeout(timer); resolve({ status: res.statusCode ?? 0, closed: true }); });
    });
    req.on("error", () => { /* the server closing mid-upload may surface as EPIPE/ECONNRESET */ });
    req.write(Buffer.alloc(128 * 1024, 0x61));
  });
  assert.equal(status, 400);
  assert.equal(closed, true);
  // NMI still answers the same pod afterwards.
  assert.equal((await h.token("127.0.0.2", { resource: "https://vault.azure.net" })).status, 200);
});
