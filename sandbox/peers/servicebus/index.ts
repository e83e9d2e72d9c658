// Service Bus AMQP peer for integration tests (driven by the real @azure/service-bus client).
export { startServiceBusPeer } from "./server.ts";
export type {
  DeadLetterView, MessageView, PeerLogger, QueueDepth, QueueOptions, SasRight, SasRule, ServiceBusPeer,
  StartServiceBusPeerOptions,
} from "./types.ts";
