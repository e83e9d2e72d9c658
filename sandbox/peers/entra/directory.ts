// Tenants and app registrations with their credentials (secrets, certificate public keys and
// the thumbprints MSAL puts in `x5t` / `x5t#S256`).
import { randomUUID, X509Certificate, type KeyObject } from "node:crypto";

export interface RegisterAppOptions {
  tenantId: string;
  clientId: string;
  secret?: string;
  certificatePem?: string;
  /** Object id of the app's service principal (random when omitted). */
  principalId?: string;
}

export interface CertificateCredential {
  /** base64url SHA-1 thumbprint (`x5t`). */
  x5t: string;
  /** base64url SHA-256 thumbprint (`x5t#S256`). */
  x5tS256: string;
  publicKey: KeyObject;
}

export interface AppRecord {
  tenantId: string;
  clientId: string;
  principalId: string;
  secrets: string[];
  certificates: CertificateCredential[];
}

const thumb = (colonHex: string): string => Buffer.from(colonHex.replace(/:/g, ""), "hex").toString("base64url");

export class Directory {
  private readonly tenants = new Set<string>();
  private readonly apps = new Map<string, AppRecord>();

  addTenant(tenantId: string): void {
    this.tenants.add(tenantId.toLowerCase());
  }

  hasTenant(tenantId: string): boolean {
    return this.tenants.has(tenantId.toLowerCase());
  }

  /** Registers an app (or adds credentials to an existing one); its tenant becomes known. */
  registerApp(opts: RegisterAppOptions): AppRecord {
    this.addTenant(opts.tenantId);
    const key = `${opts.tenantId}/${opts.clientId}`.toLowerCase();
    const app = this.apps.get(key) ?? {
      tenantId: opts.tenantId, clientId: opts.clientId, principalId: opts.principalId ?? randomUUID(), secrets: [], certificates: [],
    };
    if (opts.secret !== undefined) app.secrets.push(opts.secret);
    if (opts.certificatePem !== undefined) {
      const cert = new X509Certificate(opts.certificatePem);
      app.certificates.push({ x5t: thumb(cert.fingerprint), x5tS256: thumb(cert.fingerprint256), publicKey: cert.publicKey });
    }
    this.apps.set(key, app);
    return app;
  }

  app(tenantId: string, clientId: string): AppRecord | undefined {
    return this.apps.get(`${tenantId}/${clientId}`.toLowerCase());
  }
}
