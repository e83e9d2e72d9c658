// Shared set-up for the Azure peer tests (not a test file): an Entra ID peer and an ARM peer
// over HTTPS with the runner's throwaway CA, and ComputeManagementClients pointed at them.
import { ComputeManagementClient } from "@azure/arm-compute";
import { ClientSecretCredential, type TokenCredential } from "@azure/identity";
import { testPki } from "../../../sandbox/pki.ts";
import { identityResourceId, startArmPeer, type ArmPeer, type StartArmPeerOptions } from "../../../sandbox/peers/arm/index.ts";
import { decodeTestToken, startEntraPeer, type EntraPeer } from "../../../sandbox/peers/entra/index.ts";

export const TENANT = "72f988bf-0000-4000-8000-000000000001";
export const SUB = "00000000-1111-2222-3333-444444444444";
export const RG = "MC_rg_cluster_westeurope";
export const MIC_APP = "c0ffee00-0000-4000-8000-00000000a11c";
export const STATIC_TOKEN = "static-test-token";
export const ARM_SCOPE = "https://management.azure.com/.default";

/** A plain TokenCredential, for tests that do not care where the token comes from. */
export const staticCredential: TokenCredential = {
  getToken: async () => ({ token: STATIC_TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 }),
};

export interface AzureFixture {
  arm: ArmPeer;
  entra: EntraPeer;
  secretCredential: ClientSecretCredential;
  client(credential?: TokenCredential, maxRetries?: number): ComputeManagementClient;
  /** Registers a user-assigned identity and returns its resource id. */
  identity(name: string): string;
  clientIdOf(resourceId: string): string;
  close(): Promise<void>;
}

export async function startAzureFixture(armOpts: Partial<StartArmPeerOptions> = {}): Promise<AzureFixture> {
  const pki = testPki();
  const entra = await startEntraPeer(pki);
  entra.registerApp({ tenantId: TENANT, clientId: MIC_APP, secret: "mic-secret" });
  const arm = await startArmPeer({
    ...pki,
    tenantId: TENANT,
    // Only the static token or a token issued for ARM by the Entra peer gets in.
    acceptToken: (t) => t === STATIC_TOKEN || decodeTestToken(t).aud === "https://management.azure.com",
    ...armOpts,
  });
  const secretCredential = new ClientSecretCredential(TENANT, MIC_APP, "mic-secret", {
    authorityHost: entra.url,
    disableInstanceDiscovery: true,
  });
  let n = 0;
  const clientIds = new Map<string, string>();
  return {
    arm,
    entra,
    secretCredential,
    client: (credential = staticCredential, maxRetries = 0) => new ComputeManagementClient(credential, SUB, {
      endpoint: arm.url,
      credentials: { scopes: [ARM_SCOPE] },
      retryOptions: { maxRetries, retryDelayInMs: 50 },
    }),
    identity(name) {
      const resourceId = identityResourceId(SUB, "identities-rg", name);
      n++;
      const hex = n.toString(16).padStart(12, "0");
      arm.addIdentity({ resourceId, clientId: `00000000-0000-4000-8000-${hex}`, principalId: `11111111-0000-4000-8000-${hex}` });
      clientIds.set(resourceId, `00000000-0000-4000-8000-${hex}`);
      return resourceId;
    },
    clientIdOf: (resourceId) => clientIds.get(resourceId) ?? "",
    async close() {
      await arm.close();
      await entra.close();
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
