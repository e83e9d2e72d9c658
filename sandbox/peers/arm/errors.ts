// ARM error catalog: status, code and message as ARM and Compute send them (see
// reference/azure-contracts.md §2). Messages name the ids involved, because clients such as
// the MIC extract the offending identity from them.
import type { ArmErrorDetail, HostKind } from "./types.ts";

export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: { target?: string; details?: ArmErrorDetail[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
  }

  body(): { error: { code: string; message: string; target?: string; details?: ArmErrorDetail[] } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.extra.target !== undefined ? { target: this.extra.target } : {}),
        ...(this.extra.details !== undefined ? { details: this.extra.details } : {}),
      },
    };
  }
}

const TYPE_LABEL: Record<HostKind, string> = {
  virtualMachineScaleSets: "Virtual Machine Scale Set",
  virtualMachines: "Virtual Machine",
};

/** The caller as ARM names it in authorization errors. */
export interface Caller {
  clientId: string;
  objectId: string;
}

export const writeAction = (kind: HostKind): string => `Microsoft.Compute/${kind}/write`;

export const armErrors = {
  authenticationFailed: () =>
    new ArmError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.", {
      headers: {
        "www-authenticate":
          'Bearer authorization_uri="https://login.windows.net/", error="invalid_token", error_description="The authentication failed because of missing \'Authorization\' header."',
      },
    }),
  invalidToken: () =>
    new ArmError(401, "InvalidAuthenticationToken", "The access token is invalid."),
  missingApiVersion: () =>
    new ArmError(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests."),
  notFound: (kind: HostKind, name: string, resourceGroup: string) =>
    new ArmError(404, "ResourceNotFound",
      `The Resource 'Microsoft.Compute/${kind}/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`),
  noRoute: (path: string) =>
    new ArmError(404, "NotFound", `No HTTP resource was found that matches the request URI '${path}'.`),
  methodNotAllowed: (method: string) =>
    new ArmError(405, "MethodNotAllowed", `The requested resource does not support http method '${method}'.`),
  invalidRequestContent: (why: string) =>
    new ArmError(400, "InvalidRequestContent", `The request content was invalid and could not be deserialized: '${why}'.`),
  authorizationFailed: (caller: Caller, kind: HostKind, scope: string) =>
    new ArmError(403, "AuthorizationFailed",
      `The client '${caller.clientId}' with object id '${caller.objectId}' does not have authorization to perform action '${writeAction(kind)}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`),
  linkedAuthorizationFailed: (caller: Caller, kind: HostKind, scope: string, linked: string[]) =>
    new ArmError(403, "LinkedAuthorizationFailed",
      `The client '${caller.clientId}' with object id '${caller.objectId}' has permission to perform action '${writeAction(kind)}' on scope '${scope}'; however, it does not have permission to perform action 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action' on the linked scope(s) '${linked.join(",")}' or the linked scope(s) are invalid.`),
  markedForDeletion: (kind: HostKind, name: string) =>
    new ArmError(409, "OperationNotAllowed",
      `Operation 'Update ${TYPE_LABEL[kind]}' is not allowed on ${TYPE_LABEL[kind]} '${name}' since it is marked for deletion. For more information on your operations, please refer to https://aka.ms/activitylog.`),
  conflict: () =>
    new ArmError(409, "Conflict", "The request failed due to conflict with a concurrent request."),
  tooManyIdentities: (count: number) =>
    new ArmError(400, "InvalidParameter", `User Assigned Identities Number '${count}' Assign exceed limit '150' in one request.`,
      { target: "userAssignedIdentities" }),
  duplicateIdentity: (id: string) =>
    new ArmError(400, "InvalidParameter", `ResourceIdentity identityId '${id}' cannot be duplicated in the provided identityIds list.`,
      { target: "resourceIdentity.identityIds" }),
  idsWithoutUserAssignedType: (type: string) =>
    new ArmError(400, "InvalidParameter", `ResourceIdentity identityIds should not be provided if the type is "${type}".`,
      { target: "resourceIdentity.identityIds" }),
  /** Not quoted from ARM: a UserAssigned type that would leave the map empty. */
  emptyUserAssigned: () =>
    new ArmError(400, "InvalidParameter", "ResourceIdentity identityIds must be provided if the type is \"UserAssigned\".",
      { target: "resourceIdentity.identityIds" }),
  invalidIdentityType: (type: string) =>
    new ArmError(400, "InvalidParameter", `The value '${type}' of parameter 'identity.type' is not valid.`, { target: "identity.type" }),
  invalidIdentityId: (id: string) =>
    new ArmError(400, "InvalidParameter", `The resource identity id '${id}' is not a valid user assigned identity resource id.`,
      { target: "resourceIdentity.identityIds" }),
  failedIdentityOperation: (hostId: string, identityId: string) =>
    new ArmError(400, "FailedIdentityOperation",
      `Identity operation for resource '${hostId}' failed with error 'Failed to perform resource identity operation. Status: 'BadRequest'. Response: '{"error":{"code":"BadRequest","message":"Resource '${identityId}' was not found."}}'.'.`),
  tooManyRequests: (retryAfterSeconds: number) =>
    new ArmError(429, "OperationNotAllowed",
      "The server rejected the request because too many requests have been received for this subscription.", {
        details: [{
          code: "TooManyRequests",
          target: "HighCostGet30Min",
          message: '{"operationGroup":"HighCostGet30Min","startTime":"2024-01-01T00:00:00+00:00","endTime":"2024-01-01T00:30:00+00:00","allowedRequestCount":800,"measuredRequestCount":1238}',
        }],
        headers: { "retry-after": String(retryAfterSeconds) },
      }),
  operationNotFound: (id: string) =>
    new ArmError(404, "NotFound", `The operation '${id}' was not found.`),
};

export const PREEMPTED: ArmErrorDetail = {
  code: "OperationPreempted",
  message: "The operation has been preempted by a more recent operation",
};
