// The four aadpodidentity.k8s.io/v1 kinds, field names and casing exactly as aad-pod-identity.
import { z } from "zod";
import { API_VERSION } from "./constants.ts";
import { ObjectMetaSchema } from "./kube-meta.ts";

/** 0 = user-assigned managed identity, 1 = service principal + secret, 2 = SP + PKCS#12 cert. */
export const IdentityType = { UserAssignedMSI: 0, ServicePrincipal: 1, ServicePrincipalCertificate: 2 } as const;
export type IdentityTypeValue = (typeof IdentityType)[keyof typeof IdentityType];

const SecretReferenceSchema = z.looseObject({
  name: z.string().optional(),
  namespace: z.string().optional(),
});

export const AzureIdentitySpecSchema = z.looseObject({
  // Upstream serialises the int without omitempty; a missing value decodes as 0.
  type: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(0),
  resourceID: z.string().optional(),
  clientID: z.string().optional(),
  clientPassword: SecretReferenceSchema.optional(),
  tenantID: z.string().optional(),
  auxiliaryTenantIDs: z.array(z.string()).optional(),
  adResourceID: z.string().optional(),
  adEndpoint: z.string().optional(),
  replicas: z.number().int().optional(),
});

export const AzureIdentitySchema = z.looseObject({
  apiVersion: z.literal(API_VERSION).optional(),
  kind: z.literal("AzureIdentity").optional(),
  metadata: ObjectMetaSchema,
  spec: AzureIdentitySpecSchema,
  status: z.looseObject({ availableReplicas: z.number().int().optional() }).optional(),
});
export type AzureIdentity = z.infer<typeof AzureIdentitySchema>;

export const AzureIdentityBindingSchema = z.looseObject({
  apiVersion: z.literal(API_VERSION).optional(),
  kind: z.literal("AzureIdentityBinding").optional(),
  metadata: ObjectMetaSchema,
  spec: z.looseObject({
    azureIdentity: z.string().default(""),
    selector: z.string().default(""),
    weight: z.number().int().optional(),
  }),
  status: z.looseObject({ availableReplicas: z.number().int().optional() }).optional(),
});
export type AzureIdentityBinding = z.infer<typeof AzureIdentityBindingSchema>;

/** `Failed` is podid's addition: ARM refused this identity for good (see `message`). */
export const AssignedStatus = {
  Created: "Created",
  Assigned: "Assigned",
  Unassigned: "Unassigned",
  Failed: "Failed",
} as const;
export type AssignedStatusValue = (typeof AssignedStatus)[keyof typeof AssignedStatus];

export const AzureAssignedIdentitySchema = z.looseObject({
  apiVersion: z.literal(API_VERSION).optional(),
  kind: z.literal("AzureAssignedIdentity").optional(),
  metadata: ObjectMetaSchema,
  spec: z.looseObject({
    azureIdentityRef: AzureIdentitySchema.optional(),
    azureBindingRef: AzureIdentityBindingSchema.optional(),
    pod: z.string(),
    podNamespace: z.string(),
    nodename: z.string(),
    replicas: z.number().int().optional(),
  }),
  status: z.looseObject({
    // Empty is legacy (pre-status objects) and means Assigned.
    status: z.string().optional(),
    availableReplicas: z.number().int().optional(),
    message: z.string().optional(),
  }).optional(),
});
export type AzureAssignedIdentity = z.infer<typeof AzureAssignedIdentitySchema>;

export const AzurePodIdentityExceptionSchema = z.looseObject({
  apiVersion: z.literal(API_VERSION).optional(),
  kind: z.literal("AzurePodIdentityException").optional(),
  metadata: ObjectMetaSchema,
  spec: z.looseObject({ podLabels: z.record(z.string(), z.string()).default({}) }),
  status: z.looseObject({ status: z.string().optional() }).optional(),
});
export type AzurePodIdentityException = z.infer<typeof AzurePodIdentityExceptionSchema>;

/** Effective status of an assignment: legacy empty status counts as Assigned. */
export function effectiveAssignedStatus(aai: AzureAssignedIdentity): string {
  const s = aai.status?.status;
  return s === undefined || s === "" ? AssignedStatus.Assigned : s;
}
