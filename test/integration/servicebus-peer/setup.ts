// Shared set-up for the Service Bus peer tests (not a test file): a peer per test file and
// real ServiceBusClients with short retry settings, all closed in `after`.
import { ServiceBusClient, type ServiceBusClientOptions } from "@azure/service-bus";
import { startServiceBusPeer } from "../../../sandbox/peers/servicebus/index.ts";
import type { ServiceBusPeer, StartServiceBusPeerOptions } from "../../../sandbox/peers/servicebus/index.ts";

export interface PeerFixture {
  peer: ServiceBusPeer;
  client(options?: ServiceBusClientOptions, connectionString?: string): ServiceBusClient;
  close(): Promise<void>;
}

export async function startFixture(opts: StartServiceBusPeerOptions): Promise<PeerFixture> {
  const peer = await startServiceBusPeer(opts);
  const clients: ServiceBusClient[] = [];
  return {
    peer,
    client(options, connectionString) {
      const c = new ServiceBusClient(connectionString ?? peer.connectionString(), {
        retryOptions: { maxRetries: 1, retryDelayInMs: 50, maxRetryDelayInMs: 200, timeoutInMs: 3000 },
        ...options,
      });
      clients.push(c);
      return c;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      await peer.close();
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
