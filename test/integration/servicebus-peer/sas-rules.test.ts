// Shared access rules with rights, on the namespace or on one queue, as the broker enforces them:
// a Send-only rule cannot receive, a Listen-only rule cannot send, a queue's key opens only that
// queue, and management operations need their own claim. Driven by the real ServiceBusClient.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { TokenCredential } from "@azure/identity";
import { ServiceBusClient } from "@azure/service-bus";
import { audiencePath, authorize, buildRules, type Grants } from "../../../sandbox/peers/servicebus/cbs.ts";
import { managementRight } from "../../../sandbox/peers/servicebus/management.ts";
import { type PeerFixture, startFixture } from "./setup.ts";

/** The SDK reports a refused token or a missing claim as UnauthorizedAccess (maybe inside an AggregateError). */
function unauthorized(pattern?: RegExp) {
  return (err: unknown): boolean => {
    const e = err as { code?: string; message?: string; errors?: { code?: string; message?: string }[] };
    const all = [e, ...(e.errors ?? [])];
    assert.ok(all.some((x) => x.code === "UnauthorizedAccess"), `codes: ${all.map((x) => x.code).join(",")}`);
    if (pattern) assert.ok(all.some((x) => pattern.test(x.message ?? "")), all.map((x) => x.message).join(" | "));
    return true;
  };
}

let fx: PeerFixture;
before(async () => {
  fx = await startFixture({
    queues: [{ name: "events", requiresSession: true }, { name: "commands", requiresSession: true }, { name: "plain" }],
    sasRules: [
      { name: "events-send", key: "ZXZlbnRzLXNlbmQ=", rights: ["Send"], queue: "events" },
      { name: "commands-listen", key: "Y29tbWFuZHMtbGlzdGVu", rights: ["Listen"], queue: "commands" },
      { name: "both", key: "Ym90aA==", rights: ["Send", "Listen"] },
      { name: "admin", key: "YWRtaW4=", rights: ["Manage"] },
    ],
    acceptJwt: (token) => (token === "sender-jwt" ? ["Send"] : token === "owner-jwt"),
  });
});
after(async () => { await fx.close(); });

test("a queue-level rule's connection string names its queue (EntityPath), as the portal's does", () => {
  assert.match(fx.peer.connectionString("events-send"), /;SharedAccessKeyName=events-send;SharedAccessKey=ZXZlbnRzLXNlbmQ=;.*EntityPath=events$/);
  assert.doesNotMatch(fx.peer.connectionString("both"), /EntityPath/);
});

test("a Send-only queue rule sends to its queue but cannot receive from it", async () => {
  const client = fx.client({ retryOptions: { maxRetries: 0, timeoutInMs: 2000 } }, fx.peer.connectionString("events-send"));
  await client.createSender("events").sendMessages({ body: "e1", sessionId: "c1" });
  assert.equal(fx.peer.queueDepth("events").active, 1);
  // The broker answers the attach, then detaches it with the claim error. For next-available the
  // SDK reports that error; for a named session it reports the missing session filter instead.
  await assert.rejects(client.acceptNextSession("events"), unauthorized(/'Listen' claim\(s\) are required/));
  await assert.rejects(client.acceptSession("events", "c1"), { code: "SessionCannotBeLocked" });
  assert.equal(fx.peer.queueDepth("events").active, 1, "nothing was received");
  assert.equal(fx.peer.queueDepth("events").locked, 0);
});

test("a Listen-only queue rule receives, settles and keeps session state, but cannot send", async () => {
  await fx.client({}, fx.peer.connectionString("admin")).createSender("commands").sendMessages({ body: "c1", sessionId: "c1" });
  const client = fx.client({ retryOptions: { maxRetries: 0, timeoutInMs: 2000 } }, fx.peer.connectionString("commands-listen"));
  const session = await client.acceptSession("commands", "c1");
  const [m] = await session.receiveMessages(1, { maxWaitTimeInMs: 1000 });
  assert.equal(m?.body, "c1");
  await session.renewSessionLock();
  await session.setSessionState("seen");
  await session.completeMessage(m);
  await session.close();
  assert.equal(fx.peer.queueDepth("commands").active, 0);
  await assert.rejects(client.createSender("commands").sendMessages({ body: "no", sessionId: "c1" }), unauthorized(/'Send' claim\(s\) are required/));
  assert.equal(fx.peer.queueDepth("commands").active, 0);
});

test("a queue's key opens that queue only: the same key against another queue is refused", async () => {
  // Without EntityPath the SDK lets us aim the events key at the commands queue; the peer refuses the token.
  const cs = fx.peer.connectionString("events-send").replace(/;EntityPath=[^;]*$/, "");
  const client = fx.client({ retryOptions: { maxRetries: 0, timeoutInMs: 2000 } }, cs);
  await assert.rejects(client.createSender("commands").sendMessages({ body: "no", sessionId: "c1" }), unauthorized());
  assert.equal(fx.peer.queueDepth("commands").active, 0);
  // And the SDK itself refuses a queue other than the connection string's EntityPath.
  const scoped = fx.client({}, fx.peer.connectionString("events-send"));
  assert.throws(() => scoped.createSender("commands"), /does not match the EntityPath/);
});

test("a namespace rule with Send and Listen works on every queue", async () => {
  const client = fx.client({}, fx.peer.connectionString("both"));
  await client.createSender("plain").sendMessages({ body: "p" });
  const receiver = client.createReceiver("plain");
  const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 1000 });
  assert.equal(m?.body, "p");
  await receiver.renewMessageLock(m);
  await receiver.completeMessage(m);
});

test("Entra ID tokens carry the rights of the principal's role (Data Sender cannot receive)", async () => {
  const namespace = `127.0.0.1:${fx.peer.port};UseDevelopmentEmulator=true;x=`;
  const credential = (token: string): TokenCredential => ({ getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) });
  const sender = new ServiceBusClient(namespace, credential("sender-jwt"), { retryOptions: { maxRetries: 0, timeoutInMs: 2000 } });
  try {
    await sender.createSender("plain").sendMessages({ body: "jwt" });
    await assert.rejects(sender.createReceiver("plain").receiveMessages(1, { maxWaitTimeInMs: 300 }), unauthorized(/'Listen'/));
  } finally {
    await sender.close();
  }
  assert.equal(fx.peer.messages("plain").at(-1)?.body, "jwt");
});

test("management operations need their claim: scheduling needs Send, lock renewal Listen", () => {
  const rules = buildRules(undefined, [{ name: "r", key: "k", rights: ["Listen"] }]);
  const granted: Grants = new Map([[audiencePath("sb://h/q/$management"), new Set(["Listen" as const])]]);
  const op = (operation: string) => ({ application_properties: { operation } });
  assert.equal(managementRight(op("com.microsoft:schedule-message")), "Send");
  assert.equal(managementRight(op("com.microsoft:renew-lock")), "Listen");
  assert.equal(authorize("q/$management", "Listen", { rules }, granted, "h"), undefined);
  assert.match(authorize("q/$management", "Send", { rules }, granted, "h")?.description ?? "", /'Send' claim\(s\) are required.*sb:\/\/h\/q\/\$management/);
  assert.match(authorize("other", "Listen", { rules }, granted, "h")?.description ?? "", /put a token on \$cbs first/);
  // Without rules (auth off) everything is allowed.
  assert.equal(authorize("q", "Send", {}, new Map(), "h"), undefined);
});
