// What to do about a failure code: ARM / MIC codes found in an AzureAssignedIdentity's message
// or a host's last error, and NMI catalog codes found in NMI's request log lines.

export interface FailureContext {
  /** `namespace/name` of the AzureIdentity. */
  identity?: string;
  resourceId?: string;
  hostName?: string;
}

/** "<code>: <text>" (the MIC's status message format) → code and text. */
export function splitFailure(message: string | undefined): { code: string; text: string } {
  const m = /^\s*([A-Za-z][\w.-]*)\s*:\s*([\s\S]*)$/.exec(message ?? "");
  return m ? { code: m[1] ?? "", text: (m[2] ?? "").trim() } : { code: "", text: (message ?? "").trim() };
}

/** ARM names the caller in its authorization errors: "client '…' with object id '…'". */
export function callerObjectId(text: string): string | undefined {
  return /object id '([^']+)'/i.exec(text)?.[1];
}

const RETRYING = "the MIC retries this on its own (with backoff): wait a minute, then diagnose again";

export function nextStepForFailure(code: string, text: string, ctx: FailureContext): string {
  const scope = ctx.resourceId ?? `the identity of AzureIdentity ${ctx.identity ?? "?"}`;
  const who = callerObjectId(text);
  const mic = who === undefined ? "the MIC's identity" : `the MIC's identity (object id ${who})`;
  switch (code.toLowerCase()) {
    case "linkedauthorizationfailed":
      return `grant Managed Identity Operator on ${scope} to ${mic}`;
    case "authorizationfailed":
      return `grant Virtual Machine Contributor on the node resource group${ctx.hostName ? ` of ${ctx.hostName}` : ""} to ${mic}`;
    case "failedidentityoperation":
    case "identitynotfound":
      return `check that ${scope} exists (spec.resourceID of AzureIdentity ${ctx.identity ?? "?"})`;
    case "identity-resource-id-invalid":
    case "invalidparameter":
      return `fix spec.resourceID of AzureIdentity ${ctx.identity ?? "?"}: it must be a user-assigned identity resource ID`;
    case "identity-outside-allowed-scopes":
      return `add a scope containing ${scope} to the MIC's allowed identity scopes, or use an identity inside them`;
    case "host-outside-node-resource-groups":
      return `add the resource group of ${ctx.hostName ?? "the host"} to the MIC's node resource groups`;
    case "resourcenotfound":
      return `the host ${ctx.hostName ?? ""} is gone: the pod should be rescheduled onto a live node`.replace("  ", " ");
    case "operationnotallowed":
      // ARM uses this code both for throttling and for hosts marked for deletion.
      return /marked for deletion/i.test(text)
        ? `the host ${ctx.hostName ?? ""} is being deleted: the pod should be rescheduled onto a live node`.replace("  ", " ")
        : RETRYING;
    case "conflict":
    case "operationpreempted":
    case "toomanyrequests":
    case "internalservererror":
    case "serviceunavailable":
      return RETRYING;
    default:
      return `read the MIC's last error for the host: podid status`;
  }
}

export function nextStepForNmiCode(code: string, identity: string | undefined): string {
  switch (code) {
    case "PODID_NMI_IDENTITY_NOT_PERMITTED":
      return `the pod asked for a client_id / msi_res_id that is not bound to it: request ${identity === undefined ? "a bound identity" : `identity "${identity}"`} or bind the one it asks for`;
    case "PODID_NMI_NO_IDENTITY_BOUND":
      return "NMI saw no identity for the pod: check its AzureAssignedIdentity objects and NMI's view (restart the NMI pod if they disagree)";
    case "PODID_NMI_ASSIGNMENT_FAILED":
      return "the assignment failed: see the AzureAssignedIdentity message";
    case "PODID_NMI_IDENTITY_INVALID":
      return "complete the AzureIdentity spec (clientID, resourceID, tenantID)";
    case "PODID_NMI_SECRET_INVALID":
      return "fix the Secret named by spec.clientPassword of the AzureIdentity";
    case "PODID_NMI_TOKEN_REQUEST_REJECTED":
      return "the token service rejected the request: check the identity's credentials and the resource URI";
    case "PODID_NMI_INSTANCE_METADATA_BLOCKED":
      return "NMI blocks /metadata/instance (blockInstanceMetadata): the pod must not depend on it";
    default:
      return "read the NMI log lines above";
  }
}
