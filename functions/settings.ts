// The MIC app's settings: ONE zod schema over the app settings (environment), validated at
// start-up so a missing or malformed value is reported by name instead of failing later.
// Scope-guard values come from here, never from messages (DESIGN §5, §8).
// Connections (AzureWebJobsStorage, ServiceBusConnection) are resolved by their own modules the
// way the Functions host resolves them; see functions/storage/ and functions/servicebus/.
import { z } from "zod";
import { tryParseResourceId } from "../core/index.ts";
import type { MicSettings } from "./mic/planner/index.ts";

export const DEFAULT_ARM_ENDPOINT = "https://management.azure.com";
export const DEFAULT_RESYNC_SCHEDULE = "0 */5 * * * *";
export const DEFAULT_STATE_TABLE = "podidstate";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SCOPE = /^\/subscriptions\/[^/\s]+(\/resourceGroups\/[^/\s]+(\/providers\/.+)?)?$/i;

const list = (raw: string | undefined): string[] =>
  (raw ?? "").split(/[,;\s]+/).map((s) => s.trim().replace(/\/+$/, "")).filter((s) => s !== "");

const scopeList = (what: string, allowRoot: boolean) => z.string().optional().transform((raw, ctx) => {
  const items = list(raw);
  for (const s of items) {
    if (SCOPE.test(s)) continue;
    ctx.addIssue({ code: "custom", message: `'${s}' is not a ${what} (expected /subscriptions/<id>[/resourceGroups/<name>])` });
  }
  // "/" (allow every scope) survives the trailing-slash trim as "".
  return allowRoot && (raw ?? "").split(/[,;\s]+/).some((s) => s.trim() === "/") ? [...items, "/"] : items;
});

const bool = z.string().optional().transform((raw, ctx) => {
  const v = (raw ?? "false").trim().toLowerCase();
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0" || v === "") return false;
  ctx.addIssue({ code: "custom", message: `'${raw}' is not a boolean (true/false)` });
  return false;
});

const httpsUrl = z.string().optional().transform((raw, ctx) => {
  const v = (raw ?? "").trim() || DEFAULT_ARM_ENDPOINT;
  try {
    const u = new URL(v);
    if (u.protocol !== "https:") ctx.addIssue({ code: "custom", message: `'${v}' must be an https URL (bearer tokens are never sent in clear)` });
  } catch {
    ctx.addIssue({ code: "custom", message: `'${v}' is not a URL` });
  }
  return v.replace(/\/+$/, "");
});

/** Raw app settings → typed settings. Keys are the exact app setting names. */
export const AppSettingsSchema = z.object({
  /** Hosts podid may PATCH: node resource group ids (comma-separated). Required. */
  PODID_NODE_RESOURCE_GROUPS: scopeList("resource group or subscription id", false)
    .refine((v) => v.length > 0, "at least one node resource group id is required (e.g. /subscriptions/<sub>/resourceGroups/MC_rg_cluster_region)"),
  /** Scopes identities may be assigned from (comma-separated); "/" = any; empty = none. */
  PODID_ALLOWED_IDENTITY_SCOPES: scopeList("scope", true),
  /** Identities podid never removes: resource ids or client ids (GUIDs), e.g. the kubelet identity. */
  PODID_IMMUTABLE_IDENTITIES: z.string().optional().transform((raw, ctx) => {
    const items = list(raw);
    for (const s of items) {
      if (!GUID.test(s) && tryParseResourceId(s)?.kind !== "userAssignedIdentity") {
        ctx.addIssue({ code: "custom", message: `'${s}' is neither a user-assigned identity resource id nor a client id (GUID)` });
      }
    }
    return items;
  }),
  PODID_FORCE_NAMESPACED: bool,
  /** ARM endpoint (public cloud by default; sovereign clouds or the sandbox's ARM peer). */
  PODID_ARM_ENDPOINT: httpsUrl,
  /** Token scope for ARM; default `<PODID_ARM_ENDPOINT>/.default`. */
  PODID_ARM_SCOPE: z.string().optional(),
  /** Table (in AzureWebJobsStorage) holding the cluster state. */
  PODID_STATE_TABLE: z.string().optional().transform((raw, ctx) => {
    const v = (raw ?? "").trim() || DEFAULT_STATE_TABLE;
    if (!/^[A-Za-z][A-Za-z0-9]{2,62}$/.test(v)) ctx.addIssue({ code: "custom", message: `'${v}' is not a valid table name (3-63 letters and digits, starting with a letter)` });
    return v;
  }),
  /** NCRONTAB (6 fields, with seconds) of the resync timer. */
  PODID_RESYNC_SCHEDULE: z.string().optional().transform((raw, ctx) => {
    const v = (raw ?? "").trim() || DEFAULT_RESYNC_SCHEDULE;
    if (v.split(/\s+/).length !== 6) ctx.addIssue({ code: "custom", message: `'${v}' is not a 6-field NCRONTAB expression (e.g. ${DEFAULT_RESYNC_SCHEDULE})` });
    return v;
  }),
  /** Durable task hub; read by host.json (%PODID_TASK_HUB%), checked here for a clear error. */
  PODID_TASK_HUB: z.string().optional().refine((v) => v === undefined || /^[A-Za-z][A-Za-z0-9]{2,44}$/.test(v),
    "task hub names are 3-45 letters and digits, starting with a letter"),
});

export interface AppSettings {
  mic: MicSettings;
  arm: { endpoint: string; scope: string };
  stateTable: string;
  resyncSchedule: string;
}

export class SettingsError extends Error {
  readonly code = "PODID_MIC_SETTINGS_INVALID";
  constructor(readonly problems: string[]) {
    super(`invalid app settings: ${problems.join("; ")}`);
    this.name = "SettingsError";
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Validates every setting at once; throws SettingsError naming each bad one. */
export function loadSettings(env: Env): AppSettings {
  const parsed = AppSettingsSchema.safeParse(env);
  if (!parsed.success) {
    throw new SettingsError(parsed.error.issues.map((i) => `${i.path.join(".") || "(settings)"}: ${i.message}`));
  }
  const s = parsed.data;
  const endpoint = s.PODID_ARM_ENDPOINT;
  return {
    mic: {
      forceNamespaced: s.PODID_FORCE_NAMESPACED,
      immutableIdentities: s.PODID_IMMUTABLE_IDENTITIES,
      allowedIdentityScopes: s.PODID_ALLOWED_IDENTITY_SCOPES,
      nodeResourceGroups: s.PODID_NODE_RESOURCE_GROUPS,
    },
    arm: { endpoint, scope: s.PODID_ARM_SCOPE?.trim() || `${endpoint}/.default` },
    stateTable: s.PODID_STATE_TABLE,
    resyncSchedule: s.PODID_RESYNC_SCHEDULE,
  };
}

/** The resync schedule for the timer registration (registered even when other settings are bad). */
export function resyncScheduleFrom(env: Env): string {
  const v = env.PODID_RESYNC_SCHEDULE?.trim();
  return v !== undefined && v.split(/\s+/).length === 6 ? v : DEFAULT_RESYNC_SCHEDULE;
}
