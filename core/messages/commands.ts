// mic-commands (MIC → forwarder): the forwarder creates, updates (status subresource) or
// deletes AzureAssignedIdentities. The function app never talks to the API server itself.
import { z } from "zod";
import { AzureAssignedIdentitySchema } from "../crds.ts";
import { ClusterNameSchema, MESSAGE_VERSION, parseVersioned, type ParseResult } from "./common.ts";
import { contentHash } from "./events.ts";

export const MicCommandSchema = z.object({
  v: z.literal(MESSAGE_VERSION),
  cluster: ClusterNameSchema,
  op: z.enum(["apply", "delete"]),
  assignedIdentity: AzureAssignedIdentitySchema,
});
export type MicCommand = z.infer<typeof MicCommandSchema>;

export function parseMicCommand(body: unknown, expectedSession?: string): ParseResult<MicCommand> {
  return parseVersioned(body, MicCommandSchema, expectedSession);
}

/**
 * Identical commands from the same reconcile step share an id (so resends are dropped), while
 * `epoch` (e.g. the orchestration's host generation) keeps a later re-apply of the same content
 * — after a delete in between — from being mistaken for a duplicate.
 */
export function commandMessageId(command: MicCommand, epoch: string | number): string {
  const meta = command.assignedIdentity.metadata;
  return `aai/${meta.namespace ?? "default"}/${meta.name}/${command.op}/${epoch}/${contentHash(command.assignedIdentity)}`.slice(0, 128);
}
