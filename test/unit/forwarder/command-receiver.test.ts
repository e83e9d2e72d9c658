import assert from "node:assert/strict";
import { test } from "node:test";
import type { Disposition } from "../../../forwarder/command-handler.ts";
import { CommandReceiver, type CommandSessionReceiver, type SessionAcceptor } from "../../../forwarder/command-receiver.ts";
import { silentLogger, waitFor } from "../../helpers/forwarder-fakes.ts";

interface Msg { body: unknown; messageId: string; deliveryCount: number }

class FakeSession implements CommandSessionReceiver<Msg> {
  readonly settled: Array<[string, string, string?]> = [];
  closed = false;
  failNextReceive: Error | undefined;
  constructor(private readonly inbox: Msg[]) {}
  async receiveMessages(max: number, options?: { maxWaitTimeInMs?: number }): Promise<Msg[]> {
    if (this.closed) throw new Error("receiver closed");
    if (this.failNextReceive) {
      const e = this.failNextReceive;
      this.failNextReceive = undefined;
      throw e;
    }
    if (this.inbox.length === 0) await new Promise((r) => setTimeout(r, Math.min(options?.maxWaitTimeInMs ?? 20, 20)));
    return this.inbox.splice(0, max);
  }
  async completeMessage(m: Msg): Promise<void> { this.settled.push(["complete", m.messageId]); }
  async abandonMessage(m: Msg): Promise<void> { this.settled.push(["abandon", m.messageId]); }
  async deadLetterMessage(m: Msg, o: { deadLetterReason: string }): Promise<void> { this.settled.push(["deadLetter", m.messageId, o.deadLetterReason]); }
  async close(): Promise<void> { this.closed = true; }
}

class FakeAcceptor implements SessionAcceptor<Msg> {
  readonly sessions: FakeSession[] = [];
  readonly accepted: string[] = [];
  refusals = 0;
  constructor(readonly inbox: Msg[]) {}
  async acceptSession(queue: string, sessionId: string): Promise<CommandSessionReceiver<Msg>> {
    this.accepted.push(`${queue}/${sessionId}`);
    if (this.refusals > 0) {
      this.refusals -= 1;
      throw Object.assign(new Error("session cannot be locked"), { code: "SessionCannotBeLocked" });
    }
    const s = new FakeSession(this.inbox);
    this.sessions.push(s);
    return s;
  }
}

const msg = (id: string, body: unknown): Msg => ({ body, messageId: id, deliveryCount: 0 });

function receiver(acceptor: FakeAcceptor, handle: (body: unknown) => Promise<Disposition>) {
  return new CommandReceiver<Msg>({
    client: acceptor, queue: "mic-commands", cluster: "c1", handle, receiveWaitMs: 20,
    retry: { initialMs: 5, maxMs: 20 }, logger: silentLogger(),
  });
}

const ok: Disposition = { action: "complete", op: "apply", name: "default/a", result: { steps: [], conflicts: 0 } };

test("each disposition settles the message accordingly, in order", async (t) => {
  const acceptor = new FakeAcceptor([msg("1", "ok"), msg("2", "bad"), msg("3", "flaky"), msg("4", "ok")]);
  const r = receiver(acceptor, async (body) => {
    if (body === "bad") return { action: "deadLetter", op: "invalid", reason: "PODID_MSG_INVALID", description: "nope" };
    if (body === "flaky") return { action: "abandon", op: "apply", code: "PODID_FWD_TRANSIENT", description: "503" };
    return ok;
  });
  t.after(() => r.stop());
  r.start();
  await waitFor(() => (acceptor.sessions[0]?.settled.length ?? 0) === 4);
  assert.deepEqual(acceptor.sessions[0]?.settled, [
    ["complete", "1"], ["deadLetter", "2", "PODID_MSG_INVALID"], ["abandon", "3"], ["complete", "4"],
  ]);
  assert.deepEqual(acceptor.accepted, ["mic-commands/c1"]);
  assert.equal(r.sessionHeld, true);
});

test("a lost session lock or a refused session leads to a new acceptSession", async (t) => {
  const acceptor = new FakeAcceptor([]);
  acceptor.refusals = 2; // e.g. the previous leader still holds the session
  const r = receiver(acceptor, async () => ok);
  t.after(() => r.stop());
  r.start();
  await waitFor(() => acceptor.sessions.length === 1);
  acceptor.sessions[0]!.failNextReceive = Object.assign(new Error("lock lost"), { code: "SessionLockLost" });
  await waitFor(() => acceptor.sessions.length === 2);
  assert.equal(acceptor.sessions[0]?.closed, true, "the broken receiver is closed");
  acceptor.inbox.push(msg("9", "ok"));
  await waitFor(() => acceptor.sessions[1]?.settled.length === 1);
  assert.equal(acceptor.accepted.length, 4);
});

test("stop() finishes the command in hand before closing", async () => {
  const acceptor = new FakeAcceptor([msg("1", "slow")]);
  let release: () => void = () => undefined;
  const r = receiver(acceptor, () => new Promise<Disposition>((resolve) => { release = () => resolve(ok); }));
  r.start();
  await waitFor(() => acceptor.sessions.length === 1 && acceptor.inbox.length === 0);
  await new Promise((res) => setTimeout(res, 10));
  const stopping = r.stop();
  release();
  await stopping;
  assert.deepEqual(acceptor.sessions[0]?.settled, [["complete", "1"]]);
  assert.equal(acceptor.sessions[0]?.closed, true);
});
