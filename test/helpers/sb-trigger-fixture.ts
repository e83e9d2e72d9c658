// Set-up for the Service Bus trigger driver tests: the fixture app (captured by the functions
// kit, one per process), a Service Bus peer with the fixture's queues, and a sender.
import { ServiceBusClient } from "@azure/service-bus";
import type * as FixtureApp from "../fixtures/sb-app/index.ts";
import type { ServiceBusMessage } from "@azure/service-bus";
import { installFunctionsCore } from "../../sandbox/functions-kit/index.ts";
import type { CapturedApp } from "../../sandbox/functions-kit/index.ts";
import { startServiceBusPeer } from "../../sandbox/peers/servicebus/index.ts";
import type { ServiceBusPeer } from "../../sandbox/peers/servicebus/index.ts";
import { startServiceBusTrigger } from "../../sandbox/servicebus-trigger/index.ts";
import type { ServiceBusTrigger, ServiceBusTriggerOptions } from "../../sandbox/servicebus-trigger/index.ts";

export type FixtureModule = typeof FixtureApp;

export interface SbTriggerFixture {
  app: CapturedApp;
  mod: FixtureModule;
  peer: ServiceBusPeer;
  settings: Record<string, string>;
  send(queue: string, messages: ServiceBusMessage | ServiceBusMessage[]): Promise<void>;
  /** Starts a driver that is stopped by close() if the test did not stop it. */
  trigger(functionName: string, opts?: Partial<ServiceBusTriggerOptions>): Promise<ServiceBusTrigger>;
  close(): Promise<void>;
}

export async function startSbTriggerFixture(): Promise<SbTriggerFixture> {
  const app = installFunctionsCore();
  const mod = await import("../fixtures/sb-app/index.ts");
  const peer = await startServiceBusPeer({
    queues: [
      { name: "one" },
      { name: "many" },
      { name: "sessions", requiresSession: true },
      { name: "sessbatch", requiresSession: true },
      { name: "flaky", maxDeliveryCount: 3 },
      { name: "slowlock", lockDurationMs: 600 },
    ],
  });
  const settings = { SB: peer.connectionString() };
  const client = new ServiceBusClient(settings.SB, { retryOptions: { maxRetries: 1, retryDelayInMs: 50, timeoutInMs: 3000 } });
  const triggers: ServiceBusTrigger[] = [];
  return {
    app, mod, peer, settings,
    async send(queue, messages) {
      const sender = client.createSender(queue);
      try { await sender.sendMessages(messages); } finally { await sender.close(); }
    },
    async trigger(functionName, opts = {}) {
      const t = await startServiceBusTrigger({ app, functionName, settings, receiveWaitMs: 200, sessionPollMs: 50, ...opts });
      triggers.push(t);
      return t;
    },
    async close() {
      await Promise.all(triggers.map((t) => t.stop()));
      await client.close();
      await peer.close();
    },
  };
}

export async function until(what: string, cond: () => boolean, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
