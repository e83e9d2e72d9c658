// The slice of the host-provided `@azure/functions-core` contract that the kit plays. The
// package ships no types for it (it exists only inside the Node worker), so the shapes the
// library actually reads are declared here (from `@azure/functions` src/*.ts usage).

export interface RpcHttpData {
  method?: string;
  url?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  params?: Record<string, string>;
  body?: RpcTypedData;
  statusCode?: string;
  cookies?: unknown[];
  enableContentNegotiation?: boolean;
}

/** One value on the wire between host and worker; exactly one field is set. */
export interface RpcTypedData {
  string?: string;
  json?: string;
  bytes?: Uint8Array;
  int?: number;
  double?: number;
  http?: RpcHttpData;
  collectionString?: { string: string[] };
  collectionBytes?: { bytes: Uint8Array[] };
  collectionSint64?: { sint64: number[] };
  collectionDouble?: { double: number[] };
}

export interface RpcBindingInfo {
  type?: string;
  direction?: "in" | "out" | "inout";
  [property: string]: unknown;
}

export interface FunctionMetadata {
  name: string;
  bindings: Record<string, RpcBindingInfo>;
  retryOptions?: unknown;
}

export type FunctionCallback = (...args: unknown[]) => unknown;
export type HookCallback = (context: Record<string, unknown>) => unknown;

export interface RpcParameterBinding {
  name: string;
  data?: RpcTypedData | undefined;
}

export interface RpcInvocationResponse {
  invocationId?: string;
  outputData?: { name: string; data: RpcTypedData | null | undefined }[];
  returnValue?: RpcTypedData | null | undefined;
}

export interface InvocationArguments {
  context: unknown;
  inputs: unknown[];
}

/** `@azure/functions`' InvocationModel as the worker drives it. */
export interface InvocationModel {
  getArguments(): Promise<InvocationArguments>;
  invokeFunction(context: unknown, inputs: unknown[], callback: FunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<RpcInvocationResponse>;
}

export interface CoreInvocationContext {
  invocationId: string;
  metadata: FunctionMetadata;
  request: { inputData: RpcParameterBinding[]; triggerMetadata: Record<string, RpcTypedData> };
  state?: string | undefined;
  log(level: string, category: string, message: string): void;
}

export interface ProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(context: CoreInvocationContext): InvocationModel;
}
