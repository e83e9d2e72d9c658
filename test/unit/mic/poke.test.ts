// Poking a host's orchestration after the state write: raise first (two calls per event while a
// burst keeps the instance running), start when there is no live instance, never give up
// silently (a failed poke is reported, and the resync timer repairs it).
import assert from "node:assert/strict";
import { test } from "node:test";
import { INPUTS_CHANGED_EVENT, ORCHESTRATION } from "../../../functions/mic/orchestration/contracts.ts";
import { reconcileInstanceId } from "../../../functions/mic/orchestration/instance-id.ts";
import { pokeHost, type OrchestrationClient } from "../../../functions/mic/poke.ts";

const HOST = { hostKey: "/subscriptions/s/resourcegroups/rg/providers/microsoft.compute/virtualmachinescalesets/v", hostId: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/v", generation: 7 };

/** A durable client whose instance is in `state`; every call is logged. */
function fakeClient(state: { status: string | undefined; startFails?: number; raiseFails?: boolean }) {
  const calls: string[] = [];
  const client: OrchestrationClient = {
    startNew(name, options) {
      calls.push(`start ${name} ${options.instanceId}`);
      if ((state.startFails ?? 0) > 0) {
        state.startFails = (state.startFails ?? 0) - 1;
        state.status = "Running"; // someone else started it meanwhile
        return Promise.reject(new Error("unexpected status code: 500"));
      }
      state.status = "Pending";
      return Promise.resolve(options.instanceId);
    },
    raiseEvent(instanceId, eventName, data) {
      calls.push(`raise ${eventName} ${JSON.stringify(data)}`);
      if (state.raiseFails === true || state.status === undefined) return Promise.reject(new Error("404"));
      return Promise.resolve();
    },
    getStatus() {
      calls.push("status");
      return Promise.resolve(state.status === undefined ? undefined : { runtimeStatus: state.status });
    },
  };
  return { client, calls };
}

const id = reconcileInstanceId("c1", HOST.hostKey);

test("no instance yet: the raise is refused, the instance is started", async () => {
  const { client, calls } = fakeClient({ status: undefined });
  assert.deepEqual(await pokeHost(client, "c1", HOST), { hostKey: HOST.hostKey, instanceId: id, action: "started" });
  assert.deepEqual(calls, [`raise ${INPUTS_CHANGED_EVENT} {"generation":7}`, `start ${ORCHESTRATION} ${id}`]);
});

test("a running instance is signalled with the generation: two calls", async () => {
  const { client, calls } = fakeClient({ status: "Running" });
  assert.equal((await pokeHost(client, "c1", HOST)).action, "signalled");
  assert.deepEqual(calls, [`raise ${INPUTS_CHANGED_EVENT} {"generation":7}`, "status"]);
});

test("a finished instance (the raise went nowhere) is started again under the same id", async () => {
  const { client, calls } = fakeClient({ status: "Completed" });
  assert.equal((await pokeHost(client, "c1", HOST)).action, "started");
  assert.deepEqual(calls, [`raise ${INPUTS_CHANGED_EVENT} {"generation":7}`, "status", `start ${ORCHESTRATION} ${id}`]);
});

test("a start that loses the race to another poker: raise again and find it live", async () => {
  const { client, calls } = fakeClient({ status: "Completed", startFails: 1 });
  assert.equal((await pokeHost(client, "c1", HOST)).action, "signalled");
  assert.equal(calls.filter((c) => c.startsWith("raise")).length, 2);
});

test("nothing works: 'failed' with the last error after three attempts", async () => {
  const { client, calls } = fakeClient({ status: "Completed", raiseFails: true, startFails: 99 });
  const out = await pokeHost(client, "c1", HOST);
  assert.equal(out.action, "failed");
  assert.match(out.error ?? "", /500/);
  assert.equal(calls.filter((c) => c.startsWith("start")).length, 3);
});
