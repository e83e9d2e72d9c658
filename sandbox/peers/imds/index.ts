// IMDS peer (managed-identity tokens and instance metadata for one node) for tests and the sandbox.
export { startImdsPeer } from "./server.ts";
export type { ImdsPeer, ScriptedImdsError, StartImdsPeerOptions } from "./server.ts";
export type { AssignedIdentity, AssignmentSource } from "./token.ts";
export { decodeTestToken, encodeTestToken } from "./test-token.ts";
export type { TestTokenClaims } from "./test-token.ts";
