// The ONE module that loads `@azure/functions` and `durable-functions` at runtime (DESIGN §10):
// both are CommonJS bundles that reach for the host-provided `@azure/functions-core` on first
// use, so keeping them behind one door makes the app's load order and test set-up explicit.
// Everything else imports types from them, or this adapter.
import { app } from "@azure/functions";
import type { InvocationContext } from "@azure/functions";
import * as df from "durable-functions";
import type { DurableClient, RetryOptions } from "durable-functions";

export { app, df };

export type { HttpRequest, HttpResponseInit, InvocationContext, Timer } from "@azure/functions";
export type { DurableClient, OrchestrationContext, RetryOptions, Task, TimerTask } from "durable-functions";

/** The durable client of an invocation that declared `df.input.durableClient()`. */
export const durableClientOf = (context: InvocationContext): DurableClient => df.getClient(context);

/** Host-side retries (DTFx) for activities whose failures are transient (storage, Service Bus). */
export function retryOptions(firstRetryMs: number, maxAttempts: number): RetryOptions {
  const options = new df.RetryOptions(firstRetryMs, maxAttempts);
  options.backoffCoefficient = 2;
  return options;
}
