// Local stand-in for the Durable Functions extension (out-of-process JSON protocol, schema V3)
// that runs the real `durable-functions` handlers captured by the functions kit.
import type { RpcTypedData } from "../functions-kit/index.ts";
import { HostCore } from "./host.ts";
import type { HostOptions } from "./host.ts";
import { startRpcServer } from "./rpc-server.ts";
import type { RpcServer } from "./rpc-server.ts";
import { durableClientBinding } from "./status.ts";

export class DurableHost extends HostCore {
  readonly taskHubName: string;
  #rpc: RpcServer | undefined;

  constructor(opts: HostOptions & { taskHubName?: string }) {
    super(opts);
    this.taskHubName = opts.taskHubName ?? "PodidHub";
  }

  /** Base URL of the RPC endpoint (trailing slash), as the extension hands it to clients. */
  get rpcBaseUrl(): string { return this.#required().rpcBaseUrl; }

  /** The `durableClient` input binding data for client functions. */
  durableClientBinding(): Record<string, unknown> {
    const rpc = this.#required();
    return durableClientBinding(rpc.webhookBase, this.taskHubName, rpc.rpcBaseUrl);
  }

  /** The same, as the typed data the host sends: `inputs: { durableClient: host.durableClientInput() }`. */
  durableClientInput(): RpcTypedData { return { string: JSON.stringify(this.durableClientBinding()) }; }

  async start(): Promise<void> {
    this.#rpc = await startRpcServer(this, this.taskHubName);
    await this.load();
  }

  override async stop(opts: { abandonInFlight?: boolean } = {}): Promise<void> {
    await super.stop(opts);
    await this.#rpc?.close();
  }

  #required(): RpcServer {
    if (!this.#rpc) throw new Error("durable host not started");
    return this.#rpc;
  }
}

export async function startDurableHost(opts: HostOptions & { taskHubName?: string }): Promise<DurableHost> {
  const host = new DurableHost(opts);
  await host.start();
  return host;
}

export type { HostLogEntry, HostOptions } from "./host.ts";
export { MemoryStore } from "./store.ts";
export { TableStore } from "./table-store.ts";
export type { EpisodeCommit, InstanceRecord, InstanceStore, Message, RuntimeStatus, WorkItem } from "./store.ts";
export type { OrchestrationStatus } from "./status.ts";
export { HostError } from "./status.ts";
export { EventType, EventTypeName } from "./history.ts";
export type { HistoryEvent } from "./history.ts";
export { retryDelayMs } from "./replay.ts";
