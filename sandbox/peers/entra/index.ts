// Entra ID peer (discovery, JWKS, client-credentials token endpoint) for tests and the sandbox.
export { startEntraPeer } from "./server.ts";
export type { EntraLogEntry, EntraPeer, ScriptedAadError, StartEntraPeerOptions } from "./server.ts";
export type { RegisterAppOptions } from "./directory.ts";
export { decodeTestToken } from "../imds/test-token.ts";
