// Entra ID (AADSTS) error catalog. Clients key on `error` and `error_codes`; the description
// carries the AADSTS prefix plus trace/correlation ids and a timestamp, as the real service does.
import { randomUUID } from "node:crypto";

export interface AadError {
  status: number;
  error: string;
  code: number;
  description: string;
  headers?: Record<string, string>;
}

const e = (status: number, error: string, code: number, description: string): AadError => ({ status, error, code, description });

export const aadErrors = {
  unknownTenant: (tenant: string) => e(400, "invalid_request", 90002,
    `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`),
  unknownApp: (clientId: string, tenant: string) => e(400, "unauthorized_client", 700016,
    `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`),
  badSecret: (clientId: string) => e(401, "invalid_client", 7000215,
    `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`),
  noCredential: () => e(401, "invalid_client", 7000218,
    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."),
  missingParameter: (name: string) => e(400, "invalid_request", 900144, `The request body must contain the following parameter: '${name}'.`),
  unsupportedGrant: (grant: string) => e(400, "unsupported_grant_type", 70003, `The app requested an unsupported grant type '${grant}'.`),
  invalidScope: (scope: string) => e(400, "invalid_scope", 1002012,
    `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`),
  unsupportedAssertionType: (type: string) => e(400, "invalid_request", 70002, `The client assertion type '${type}' is not supported.`),
  malformedAssertion: (why: string) => e(400, "invalid_request", 50027, `JWT token is invalid or malformed. ${why}`),
  invalidSignature: (why: string) => e(401, "invalid_client", 700027, `Client assertion contains an invalid signature. [Reason - ${why}]`),
  assertionClientMismatch: () => e(401, "invalid_client", 700021,
    "Client assertion application identifier doesn't match 'client_id' parameter."),
  assertionTime: (now: number, nbf: number | undefined, exp: number) => e(401, "invalid_client", 700024,
    `Client assertion is not within its valid time range. Current time: ${new Date(now * 1000).toISOString()}, assertion valid from ${nbf === undefined ? "(unset)" : new Date(nbf * 1000).toISOString()}, expiry time of assertion ${new Date(exp * 1000).toISOString()}.`),
  transient: () => e(503, "temporarily_unavailable", 90033, "A transient error has occurred. Please try again."),
};

/** The JSON body Entra ID sends for an error. */
export function aadErrorBody(err: AadError, origin: string, correlationId: string | undefined): object {
  const now = new Date();
  const timestamp = `${now.toISOString().slice(0, 19).replace("T", " ")}Z`;
  const traceId = randomUUID();
  const correlation = correlationId ?? randomUUID();
  return {
    error: err.error,
    error_description: `AADSTS${err.code}: ${err.description} Trace ID: ${traceId} Correlation ID: ${correlation} Timestamp: ${timestamp}`,
    error_codes: [err.code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlation,
    error_uri: `${origin}/error?code=${err.code}`,
  };
}
