// nmi/: public surface for sandbox/, tests and the container entry point.
export { buildNmi, type NmiAddresses, type NmiDeps, type NmiHandle } from "./build.ts";
export { NmiConfigError, NmiConfigSchema, nmiConfigFromArgs, parseNmiConfig, type NmiConfig, type NmiConfigInput } from "./config.ts";
export { ERROR_HEADER, NMI_ERRORS, NmiError, type NmiErrorCode } from "./errors.ts";
export { REDACT_PATHS, redactClientId } from "./log.ts";
export { OBJECT_ID_ANNOTATION } from "./rules/select-identity.ts";
export type { NmiStateView } from "./state/store.ts";
export { systemClock, type Clock, type Token, type TokenSource, type TokenSources } from "./tokens/types.ts";
