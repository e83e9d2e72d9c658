// Connection resolution by setting name, as the Functions host's Service Bus extension does it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ServiceBusConnectionError, resolveServiceBusConnection } from "../../../functions/servicebus/connection.ts";

const CS = "Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=v";

test("a setting holding a connection string wins", () => {
  assert.deepEqual(resolveServiceBusConnection("SB", { SB: CS, SB__fullyQualifiedNamespace: "y.servicebus.windows.net" }),
    { kind: "connectionString", settingName: "SB", connectionString: CS });
});

test("AzureWebJobs<name> is the fallback, and the default name is ServiceBus", () => {
  assert.equal(resolveServiceBusConnection("SB", { AzureWebJobsSB: CS }).settingName, "AzureWebJobsSB");
  assert.equal(resolveServiceBusConnection(undefined, { AzureWebJobsServiceBus: CS }).settingName, "AzureWebJobsServiceBus");
});

test("identity-based connection from <name>__fullyQualifiedNamespace with credential and clientId", () => {
  assert.deepEqual(resolveServiceBusConnection("SB", {
    SB__fullyQualifiedNamespace: "ns.servicebus.windows.net", SB__credential: "managedidentity", SB__clientId: "abc",
  }), { kind: "identity", settingName: "SB", fullyQualifiedNamespace: "ns.servicebus.windows.net", credential: "managedidentity", clientId: "abc" });
  assert.deepEqual(resolveServiceBusConnection("SB", { SB__fullyQualifiedNamespace: "ns.servicebus.windows.net" }),
    { kind: "identity", settingName: "SB", fullyQualifiedNamespace: "ns.servicebus.windows.net" });
});

test("blank values count as missing; nothing configured is a clear error", () => {
  assert.throws(() => resolveServiceBusConnection("SB", { SB: "  " }), (e: unknown) =>
    e instanceof ServiceBusConnectionError && e.code === "PODID_SB_CONNECTION_NOT_CONFIGURED" && /SB__fullyQualifiedNamespace/.test(e.message));
});
