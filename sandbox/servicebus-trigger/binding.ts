// The Service Bus trigger binding of a captured registration, as the host's Service Bus
// extension reads it from the function metadata (validated: a typo must fail loudly here,
// the way the host refuses to index the function, not silently receive from nothing).
import { z } from "zod";
import type { CapturedApp } from "../functions-kit/index.ts";

const bool = z.union([z.boolean(), z.enum(["true", "false", "True", "False"]).transform((s) => s.toLowerCase() === "true")]);

const TriggerMetadataSchema = z.object({
  type: z.string().refine((t) => t.toLowerCase() === "servicebustrigger", "not a serviceBusTrigger binding"),
  connection: z.string().optional(),
  queueName: z.string().min(1).optional(),
  topicName: z.string().optional(),
  subscriptionName: z.string().optional(),
  isSessionsEnabled: bool.optional(),
  cardinality: z.enum(["one", "many", "One", "Many"]).transform((c) => c.toLowerCase() as "one" | "many").optional(),
  autoCompleteMessages: bool.optional(),
  dataType: z.string().optional(),
  properties: z.object({ supportsDeferredBinding: z.string().optional() }).loose().optional(),
}).loose();

export interface ServiceBusTriggerBinding {
  functionName: string;
  /** Binding key of the trigger (the worker matches input data by it). */
  bindingName: string;
  queueName: string;
  /** Name of the connection setting (host default: "ServiceBus"). */
  connection: string | undefined;
  isSessionsEnabled: boolean;
  cardinality: "one" | "many";
  /** undefined = host.json default (true). */
  autoCompleteMessages: boolean;
  /** "binary" → bodies as bytes; otherwise UTF-8 strings (the worker JSON-parses them). */
  dataType: string | undefined;
}

export function readServiceBusTrigger(app: CapturedApp, functionName: string): ServiceBusTriggerBinding {
  const reg = app.registration(functionName);
  const parsed = TriggerMetadataSchema.safeParse(reg.trigger.metadata);
  if (!parsed.success) {
    throw new Error(`function "${functionName}": trigger is not a usable serviceBusTrigger: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
  }
  const md = parsed.data;
  if (md.topicName !== undefined || md.subscriptionName !== undefined) {
    throw new Error(`function "${functionName}": topic subscriptions are not played by this driver (the Service Bus peer has queues only)`);
  }
  if (md.queueName === undefined) throw new Error(`function "${functionName}": serviceBusTrigger has no queueName`);
  if (md.properties?.supportsDeferredBinding === "true") {
    // SDK-type bindings need @azure/functions-extensions-servicebus and the host's gRPC
    // settlement service; see docs/adr/0002-dead-lettering-in-micEvents.md.
    throw new Error(`function "${functionName}": sdkBinding (deferred binding) is not played by this driver`);
  }
  return {
    functionName,
    bindingName: reg.trigger.name,
    queueName: md.queueName,
    connection: md.connection,
    isSessionsEnabled: md.isSessionsEnabled ?? false,
    cardinality: md.cardinality ?? "one",
    autoCompleteMessages: md.autoCompleteMessages ?? true,
    dataType: md.dataType,
  };
}
