// The registry of functions an app registered through the fake core module, and the worker's
// invocation sequence: getInvocationModel → getArguments → (preInvocation hooks) →
// invokeFunction → (postInvocation hooks) → getResponse, exactly as the Node worker drives it.
import { randomUUID } from "node:crypto";
import type { CoreState, KitLogEntry } from "./install-core.ts";
import type { CoreInvocationContext, RpcBindingInfo, RpcInvocationResponse, RpcParameterBinding, RpcTypedData } from "./core-types.ts";
import { decodeHttpResponse, decodeTypedData, httpRequest } from "./typed-data.ts";
import type { HttpRequestSpec, HttpResult } from "./typed-data.ts";

export interface BindingView {
  /** Binding key in the metadata (the library derives it by hashing unless `name` is given). */
  name: string;
  type: string;
  direction: string;
  /** Every property the host would see: queueName, connection, cardinality, schedule, route… */
  metadata: RpcBindingInfo;
}

export interface RegistrationView {
  name: string;
  triggerType: string;
  trigger: BindingView;
  bindings: BindingView[];
  retryOptions: unknown;
}

export interface InvokeOptions {
  /** Typed data for the trigger binding; null sends the binding with no data (decodes to undefined). */
  trigger?: RpcTypedData | null | undefined;
  /** Extra inputs keyed by binding name or binding type (e.g. `durableClient`). */
  inputs?: Record<string, RpcTypedData>;
  /** Raw RPC input data, appended as-is. */
  inputData?: RpcParameterBinding[];
  /** Host trigger metadata in the host's PascalCase (the library camelCases it). */
  triggerMetadata?: Record<string, RpcTypedData>;
  invocationId?: string;
}

export interface InvocationResult {
  invocationId: string;
  /** What the handler returned, before conversion. */
  result: unknown;
  /** The RPC response the worker would send to the host. */
  response: RpcInvocationResponse;
  /** `response.returnValue` decoded (string/json/int… → JS value). */
  returnValue: unknown;
  logs: KitLogEntry[];
}

/** Thrown by invoke() when the handler failed; keeps the logs and the original error. */
export class InvocationError extends Error {
  constructor(readonly functionName: string, override readonly cause: unknown, readonly logs: KitLogEntry[]) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = "InvocationError";
  }
}

function isTrigger(type: string | undefined): boolean {
  return type !== undefined && /trigger$/i.test(type);
}

function view(name: string, b: RpcBindingInfo): BindingView {
  return { name, type: b.type ?? "", direction: b.direction ?? "", metadata: b };
}

export class CapturedApp {
  constructor(private readonly state: CoreState) {}

  /** Every log line the library or the handlers wrote through the core API. */
  get logs(): readonly KitLogEntry[] { return this.state.logs; }
  set onLog(sink: ((entry: KitLogEntry) => void) | undefined) { this.state.onLog = sink; }

  hooks(name: string): number { return this.state.hooks.get(name)?.length ?? 0; }
  has(name: string): boolean { return this.state.functions.has(name); }
  names(): string[] { return [...this.state.functions.keys()]; }
  list(): RegistrationView[] { return this.names().map((n) => this.registration(n)); }

  registration(name: string): RegistrationView {
    const fn = this.state.functions.get(name);
    if (!fn) throw new Error(`function "${name}" is not registered (registered: ${this.names().join(", ")})`);
    const bindings = Object.entries(fn.metadata.bindings).map(([k, b]) => view(k, b));
    const trigger = bindings.find((b) => isTrigger(b.type));
    if (!trigger) throw new Error(`function "${name}" has no trigger binding`);
    return { name, triggerType: trigger.type, trigger, bindings, retryOptions: fn.metadata.retryOptions };
  }

  /** Binding key of the first binding of `type` (e.g. "durableClient") on function `name`. */
  bindingName(name: string, type: string): string {
    const b = this.registration(name).bindings.find((x) => x.type.toLowerCase() === type.toLowerCase());
    if (!b) throw new Error(`function "${name}" has no "${type}" binding`);
    return b.name;
  }

  async invoke(name: string, opts: InvokeOptions = {}): Promise<InvocationResult> {
    const fn = this.state.functions.get(name);
    const model = this.state.programmingModel;
    if (!fn) throw new Error(`function "${name}" is not registered`);
    if (!model) throw new Error("no programming model set: was the app imported after installFunctionsCore()?");
    const reg = this.registration(name);
    const inputData: RpcParameterBinding[] = [];
    if (opts.trigger !== undefined) inputData.push({ name: reg.trigger.name, data: opts.trigger ?? undefined });
    for (const [key, data] of Object.entries(opts.inputs ?? {})) {
      const b = reg.bindings.find((x) => x.name === key) ?? reg.bindings.find((x) => x.type === key);
      if (!b) throw new Error(`function "${name}" has no binding named or typed "${key}"`);
      inputData.push({ name: b.name, data });
    }
    inputData.push(...(opts.inputData ?? []));

    const invocationId = opts.invocationId ?? randomUUID();
    const logs: KitLogEntry[] = [];
    const coreCtx: CoreInvocationContext = {
      invocationId,
      metadata: fn.metadata,
      request: { inputData, triggerMetadata: opts.triggerMetadata ?? {} },
      log: (level, category, message) => {
        const entry = { level, category, message, functionName: name, invocationId };
        logs.push(entry);
        this.state.logs.push(entry);
        this.state.onLog?.(entry);
      },
    };
    const invocation = model.getInvocationModel(coreCtx);
    const { context, inputs } = await invocation.getArguments();

    let callback = fn.callback;
    let args = inputs;
    for (const hook of this.state.hooks.get("preInvocation") ?? []) {
      const hookCtx: Record<string, unknown> = { hookData: {}, invocationContext: context, functionCallback: callback, inputs: args };
      await hook(hookCtx);
      callback = hookCtx.functionCallback as typeof callback;
      args = hookCtx.inputs as unknown[];
    }
    coreCtx.state = "invocation";
    let result: unknown;
    let error: unknown;
    let failed = false;
    try {
      result = await invocation.invokeFunction(context, args, callback);
    } catch (e) {
      failed = true;
      error = e;
    }
    coreCtx.state = "postInvocationHooks";
    for (const hook of this.state.hooks.get("postInvocation") ?? []) {
      const hookCtx: Record<string, unknown> = { hookData: {}, invocationContext: context, inputs: args, result, error };
      await hook(hookCtx);
      result = hookCtx.result;
      error = hookCtx.error;
      failed = error !== undefined && error !== null;
    }
    coreCtx.state = undefined;
    if (failed) throw new InvocationError(name, error, logs);
    const response = await invocation.getResponse(context, result);
    return { invocationId, result, response, returnValue: decodeTypedData(response.returnValue), logs };
  }

  /** Invokes an HTTP-triggered function and reads its HTTP output binding. */
  async invokeHttp(name: string, req: HttpRequestSpec, opts: Omit<InvokeOptions, "trigger"> = {}): Promise<HttpResult> {
    const res = await this.invoke(name, { ...opts, trigger: httpRequest(req) });
    return decodeHttpResponse(res.response.returnValue);
  }
}
