// The MIC's mic-commands publisher with the real @azure/service-bus client against the peer:
// session = cluster, core's messageIds (duplicate detection drops resends), size-limited batches.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ServiceBusClient } from "@azure/service-bus";
import { commandMessageId, parseMicCommand } from "../../core/messages/index.ts";
import type { MicCommand } from "../../core/messages/index.ts";
import { createServiceBusResultsPublisher } from "../../functions/servicebus/results-publisher.ts";
import { startServiceBusPeer } from "../../sandbox/peers/servicebus/index.ts";
import type { ServiceBusPeer } from "../../sandbox/peers/servicebus/index.ts";

let peer: ServiceBusPeer;
let client: ServiceBusClient;
before(async () => {
  peer = await startServiceBusPeer({
    queues: [{ name: "mic-commands", requiresSession: true, duplicateDetectionWindowMs: 60_000, maxMessageSizeBytes: 16 * 1024 }],
  });
  client = new ServiceBusClient(peer.connectionString(), { retryOptions: { maxRetries: 1, retryDelayInMs: 50, timeoutInMs: 3000 } });
});
after(async () => {
  await client.close();
  await peer.close();
});

function command(cluster: string, name: string, op: "apply" | "delete" = "apply", padding = 0): MicCommand {
  return {
    v: 1, cluster, op,
    assignedIdentity: {
      apiVersion: "aadpodidentity.k8s.io/v1", kind: "AzureAssignedIdentity",
      metadata: { name, namespace: "default", labels: { nodename: "n1" }, ...(padding ? { annotations: { pad: "x".repeat(padding) } } : {}) },
      spec: { pod: name, podNamespace: "default", nodename: "n1" },
      status: { status: "Assigned" },
    },
  };
}

async function drain(session: string): Promise<{ id: string; body: unknown }[]> {
  const r = await client.acceptSession("mic-commands", session);
  const out: { id: string; body: unknown }[] = [];
  for (;;) {
    const ms = await r.receiveMessages(100, { maxWaitTimeInMs: 300 });
    if (ms.length === 0) break;
    for (const m of ms) {
      out.push({ id: String(m.messageId), body: m.body });
      await r.completeMessage(m);
    }
  }
  await r.close();
  return out;
}

test("commands go to the cluster's session, in order, batched under the size limit", async () => {
  const pub = createServiceBusResultsPublisher({ connection: "ServiceBusConnection", settings: { ServiceBusConnection: peer.connectionString() } });
  const commands = Array.from({ length: 40 }, (_, i) => command("c1", `pod-${String(i).padStart(2, "0")}`, "apply", 1000));
  const res = await pub.publish({ commands, epoch: 7 });
  await pub.close();
  assert.equal(res.sent, 40);
  assert.ok(res.batches >= 3 && res.batches < 40, `40 × ~1.3 KiB in 16 KiB batches: ${res.batches}`);
  const got = await drain("c1");
  assert.deepEqual(got.map((g) => g.id), commands.map((c) => commandMessageId(c, 7)));
  for (const g of got) assert.equal(parseMicCommand(g.body, "c1").ok, true);
});

test("a resend of the same step is dropped; a new epoch is not", async () => {
  const pub = createServiceBusResultsPublisher({ client });
  const cmds = [command("c2", "a"), command("c2", "b", "delete")];
  await pub.publish({ commands: cmds, epoch: 1 });
  await pub.publish({ commands: cmds, epoch: 1 });
  await pub.publish({ commands: [cmds[0] as MicCommand], epoch: 2 });
  await pub.close();
  // drain() uses the same client: a client passed in is not closed by the publisher.
  const got = await drain("c2");
  assert.deepEqual(got.map((g) => g.id), [commandMessageId(cmds[0] as MicCommand, 1), commandMessageId(cmds[1] as MicCommand, 1), commandMessageId(cmds[0] as MicCommand, 2)]);
});

test("clusters never share a batch; each lands in its own session", async () => {
  const pub = createServiceBusResultsPublisher({ client });
  const res = await pub.publish({ commands: [command("x", "p1"), command("y", "p2"), command("x", "p3")], epoch: 1 });
  await pub.close();
  assert.equal(res.batches, 2);
  assert.deepEqual((await drain("x")).map((g) => (g.body as MicCommand).assignedIdentity.metadata.name), ["p1", "p3"]);
  assert.deepEqual((await drain("y")).map((g) => (g.body as MicCommand).assignedIdentity.metadata.name), ["p2"]);
});

test("invalid commands are refused before anything is sent", async () => {
  const pub = createServiceBusResultsPublisher({ client });
  const bad = { ...command("c3", "ok"), cluster: "not/valid" } as MicCommand;
  await assert.rejects(pub.publish({ commands: [command("c3", "fine"), bad], epoch: 1 }));
  await pub.close();
  assert.equal(peer.queueDepth("mic-commands").active, 0);
});

test("a single command over the size limit fails with its code", async () => {
  const pub = createServiceBusResultsPublisher({ client });
  await assert.rejects(pub.publish({ commands: [command("c4", "huge", "apply", 20_000)], epoch: 1 }), { code: "PODID_MIC_COMMAND_TOO_LARGE" });
  await pub.close();
});
