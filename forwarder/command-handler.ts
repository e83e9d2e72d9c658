// Decides what happens to one mic-commands message: complete (the API server accepted the
// change), dead-letter (malformed, for another cluster, or refused for good by the API server)
// or abandon (transient: Service Bus redelivers it, and its max delivery count bounds retries).
import { parseMicCommand, type DeadLetterReasonCode } from "../core/index.ts";
import type { AssignedIdentityStore } from "./assigned-identity-store.ts";
import { executeCommand, type ExecuteResult } from "./command-executor.ts";
import { CommandError, describeKubeError, ForwarderErrorCode, type ForwarderErrorCodeValue } from "./errors.ts";

export type CommandOp = "apply" | "delete" | "invalid";

export type Disposition =
  | { action: "complete"; op: CommandOp; name: string; result: ExecuteResult }
  | { action: "deadLetter"; op: CommandOp; reason: DeadLetterReasonCode | ForwarderErrorCodeValue; description: string }
  | { action: "abandon"; op: CommandOp; code: ForwarderErrorCodeValue; description: string };

export interface HandleOptions {
  cluster: string;
  store: AssignedIdentityStore;
  maxAttempts: number;
}

export async function handleCommand(body: unknown, o: HandleOptions): Promise<Disposition> {
  // The expected session makes a command for another cluster a dead letter (WrongSession).
  const parsed = parseMicCommand(body, o.cluster);
  if (!parsed.ok) return { action: "deadLetter", op: "invalid", reason: parsed.reason, description: parsed.description };
  const command = parsed.message;
  const meta = command.assignedIdentity.metadata;
  const name = `${meta.namespace ?? "default"}/${meta.name}`;
  try {
    const result = await executeCommand(command, o.store, { maxAttempts: o.maxAttempts });
    return { action: "complete", op: command.op, name, result };
  } catch (error) {
    const code = error instanceof CommandError ? error.code : ForwarderErrorCode.Transient;
    const description = error instanceof CommandError ? error.message : describeKubeError(error);
    if (code === ForwarderErrorCode.Rejected) return { action: "deadLetter", op: command.op, reason: code, description };
    return { action: "abandon", op: command.op, code, description };
  }
}
