// IMDS error catalog. Bodies are `{error, error_description}` (the api-version error is IMDS's
// odd exception); clients must not branch on descriptions, tests assert status and `error`.

export interface ImdsReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Leaf values of /metadata/instance with format=text. */
  text?: string;
}

const err = (status: number, error: string, description: string): ImdsReply =>
  ({ status, body: { error, error_description: description } });

export const NEWEST_VERSIONS = ["2025-04-07", "2024-07-17", "2024-03-15"];

export const imdsErrors = {
  metadataHeader: () => err(400, "bad_request_102", "Required metadata header not specified"),
  forwarded: () => err(400, "bad_request", "Requests with an X-Forwarded-For header are not allowed"),
  apiVersion: (): ImdsReply => ({
    status: 400,
    body: {
      error: "Bad request. api-version is invalid or was not specified in the request. For more information refer to aka.ms/azureimds",
      "newest-versions": NEWEST_VERSIONS,
    },
  }),
  repeatedParameter: (name: string) => err(400, "invalid_request", `Query parameter '${name}' was specified more than once`),
  missingResource: () => err(400, "invalid_request", "Required query variable 'resource' is missing"),
  ambiguousIdentity: () => err(400, "invalid_request", "Only one of client_id, object_id and msi_res_id may be specified"),
  identityNotFound: () => err(400, "invalid_request", "Identity not found"),
  multipleIdentities: () => err(400, "invalid_request",
    "Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request"),
  tooManyRequests: () => err(429, "too_many_requests", "Too many requests. Retry after some time."),
  notFound: (): ImdsReply => ({ status: 404, body: { error: "Not found" } }),
  methodNotAllowed: (): ImdsReply => ({ status: 405, body: { error: "Method not allowed" } }),
  leafNeedsText: (): ImdsReply => ({ status: 400, body: { error: "Bad request. Leaf values require format=text" } }),
  serverError: (why: string) => err(500, "server_error", `Failed to retrieve token from the Active directory. ${why}`),
};
