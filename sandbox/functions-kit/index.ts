// Functions test kit: a stand-in for the host-provided `@azure/functions-core` that captures
// registrations and invokes handlers through `@azure/functions`' own invocation model.
export { installFunctionsCore } from "./install-core.ts";
export type { KitLogEntry } from "./install-core.ts";
export { CapturedApp, InvocationError } from "./captured-app.ts";
export type { BindingView, InvocationResult, InvokeOptions, RegistrationView } from "./captured-app.ts";
export {
  decodeHttpResponse, decodeTypedData, httpRequest, serviceBusBatch, serviceBusMessage, timerInput, typed,
} from "./typed-data.ts";
export type { HttpRequestSpec, HttpResult, ServiceBusMessageSpec } from "./typed-data.ts";
export type { RpcTypedData, RpcParameterBinding, RpcInvocationResponse } from "./core-types.ts";
