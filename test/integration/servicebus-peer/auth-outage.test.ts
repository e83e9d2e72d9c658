// SAS signature checks on $cbs, and a broker outage the client must ride out by reconnecting.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { TokenCredential } from "@azure/identity";
import { ServiceBusClient } from "@azure/service-bus";
import { type PeerFixture, startFixture } from "./setup.ts";

/** The SDK retries put-token failures and then throws an AggregateError of the attempts. */
function unauthorized(err: unknown): boolean {
  const e = err as { code?: string; errors?: { code?: string }[] };
  const codes = [e.code, ...(e.errors ?? []).map((x) => x.code)];
  assert.ok(codes.includes("UnauthorizedAccess"), `codes: ${codes.join(",")}`);
  return true;
}

let fx: PeerFixture;
before(async () => {
  fx = await startFixture({
    queues: [{ name: "q" }],
    sasKeys: { sender: "c2VjcmV0LWtleQ==" },
    acceptJwt: (token, audience) => token === "good-jwt" && audience.endsWith("/q"),
  });
});
after(async () => { await fx.close(); });

test("a valid SAS key is accepted; a wrong key or unknown key name is rejected", async () => {
  await fx.client().createSender("q").sendMessages({ body: "ok" });
  assert.equal(fx.peer.queueDepth("q").active, 1);
  const wrongKey = fx.client({}, fx.peer.connectionString("sender", "d3Jvbmc="));
  await assert.rejects(wrongKey.createSender("q").sendMessages({ body: "no" }), unauthorized);
  const unknownName = fx.client({}, fx.peer.connectionString("other", "c2VjcmV0LWtleQ=="));
  await assert.rejects(unknownName.createReceiver("q").receiveMessages(1, { maxWaitTimeInMs: 200 }), unauthorized);
  assert.equal(fx.peer.queueDepth("q").active, 1);
});

test("a TokenCredential (no SASL, jwt put-token) is accepted only with a token the peer accepts", async () => {
  // The SDK appends "/" to the namespace; the trailing empty pair keeps the emulator flag intact.
  const namespace = `127.0.0.1:${fx.peer.port};UseDevelopmentEmulator=true;x=`;
  const credential = (token: string): TokenCredential => ({
    getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }),
  });
  const good = new ServiceBusClient(namespace, credential("good-jwt"), { retryOptions: { maxRetries: 0 } });
  const bad = new ServiceBusClient(namespace, credential("bad-jwt"), { retryOptions: { maxRetries: 0 } });
  try {
    await good.createSender("q").sendMessages({ body: "via jwt" });
    await assert.rejects(bad.createSender("q").sendMessages({ body: "no" }), unauthorized);
  } finally {
    await good.close();
    await bad.close();
  }
  assert.equal(fx.peer.messages("q").at(-1)?.body, "via jwt");
});

test("after a ~1 s outage on the same port, the sender's next send succeeds", async () => {
  const client = fx.client({ retryOptions: { maxRetries: 10, retryDelayInMs: 100, maxRetryDelayInMs: 200, timeoutInMs: 1000 } });
  const sender = client.createSender("q");
  await sender.sendMessages({ body: "before" });
  const port = fx.peer.port;
  await fx.peer.stop();
  assert.equal(fx.peer.connectionCount(), 0);
  const sending = sender.sendMessages({ body: "during" });
  await new Promise((r) => setTimeout(r, 1000));
  await fx.peer.restart();
  assert.equal(fx.peer.port, port);
  await sending;
  await sender.sendMessages({ body: "after" });
  assert.deepEqual(fx.peer.messages("q").map((m): unknown => m.body).slice(-3), ["before", "during", "after"]);
});

test("a subscribe() receiver keeps receiving after an outage", async () => {
  const client = fx.client({ retryOptions: { maxRetries: 10, retryDelayInMs: 100, maxRetryDelayInMs: 200, timeoutInMs: 1000 } });
  const sender = client.createSender("q");
  const receiver = client.createReceiver("q", { receiveMode: "receiveAndDelete" });
  await receiver.receiveMessages(10, { maxWaitTimeInMs: 100 }); // empty the queue first
  const seen: unknown[] = [];
  const sub = receiver.subscribe({
    processMessage: async (m) => { seen.push(m.body); },
    processError: async () => undefined, // the SDK reports the dropped link here, then recovers
  });
  await sender.sendMessages({ body: "one" });
  await fx.peer.outage(500);
  await sender.sendMessages({ body: "two" });
  const deadline = Date.now() + 3000;
  while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await sub.close();
  assert.deepEqual(seen, ["one", "two"]);
});
