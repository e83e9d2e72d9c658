// Logging helpers. Tokens and secrets never reach a logger: handlers log decisions (reason,
// code, pod, redacted client id), never payloads.

/** `abcd##### REDACTED #####wxyz`, as aad-pod-identity logged client ids. */
export function redactClientId(clientId: string | undefined): string | undefined {
  if (clientId === undefined || clientId === "") return undefined;
  if (clientId.length <= 8) return "##### REDACTED #####";
  return `${clientId.slice(0, 4)}##### REDACTED #####${clientId.slice(-4)}`;
}

/** pino `redact` paths: a second line of defence should a token object ever be logged. */
export const REDACT_PATHS = [
  "access_token", "*.access_token", "accessToken", "*.accessToken",
  "clientSecret", "*.clientSecret", "privateKey", "*.privateKey", "password", "*.password",
  "req.headers.authorization", "headers.authorization",
];
