// PKCS#12 → PEM private key + certificate + SHA-256 thumbprint, for MSAL's certificate
// credential. Node has no PKCS#12 parser, so `openssl pkcs12` does the unpacking: the archive
// goes in on stdin and the password through an environment variable (`-passin env:`), never
// argv (visible in /proc to every process on the node). Callers cache the result per Secret
// resourceVersion, so openssl runs once per certificate version.
import { spawn } from "node:child_process";
import { X509Certificate, createPrivateKey } from "node:crypto";

export interface CertificateCredential {
  privateKey: string;
  /** PEM of the leaf certificate (sent as x5c for subject-name/issuer authentication). */
  certificate: string;
  thumbprintSha256: string;
}

export class CertificateError extends Error {
  override readonly name = "CertificateError";
}

const PASS_ENV = "PODID_PKCS12_PASSWORD";

function runOpenssl(args: string[], input: Buffer, password: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("openssl", args, {
      stdio: ["pipe", "pipe", "pipe"],
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", [PASS_ENV]: password },
      timeout: timeoutMs,
    });
    const out: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => (err += c.toString("utf8")));
    child.on("error", (e) => reject(new CertificateError(`cannot run openssl: ${e.message}`)));
    child.on("close", (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString("utf8"));
      // stderr may mention the file but never the password (it is not on the command line).
      else reject(new CertificateError(`openssl pkcs12 failed (${code ?? "signal"}): ${err.split("\n")[0] ?? ""}`));
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(input);
  });
}

/** Picks the key and the certificate that belongs to it from a PEM bundle. */
export function credentialFromPem(pem: string): CertificateCredential {
  const keyBlock = /-----BEGIN (?:RSA |EC |)PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC |)PRIVATE KEY-----/.exec(pem)?.[0];
  if (!keyBlock) throw new CertificateError("no private key in the certificate");
  const key = createPrivateKey(keyBlock);
  const certs = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  for (const c of certs) {
    const x509 = new X509Certificate(c);
    if (x509.checkPrivateKey(key)) {
      return {
        privateKey: key.export({ type: "pkcs8", format: "pem" }).toString(),
        certificate: x509.toString(),
        thumbprintSha256: x509.fingerprint256.replace(/:/g, "").toLowerCase(),
      };
    }
  }
  throw new CertificateError("no certificate matches the private key");
}

/**
 * `data` is the Secret's `certificate` value: PKCS#12 bytes (upstream's format), or a PEM
 * bundle with key and certificate (accepted too; then openssl is not needed).
 */
export async function certificateCredential(data: Buffer, password: string, timeoutMs = 10_000): Promise<CertificateCredential> {
  const text = data.toString("utf8");
  if (text.includes("-----BEGIN")) return credentialFromPem(text);
  const base = ["pkcs12", "-nodes", "-passin", `env:${PASS_ENV}`];
  let pem: string;
  try {
    pem = await runOpenssl(base, data, password, timeoutMs);
  } catch (first) {
    // OpenSSL 3 refuses legacy PBE (RC2/3DES, as Windows and older tools export) without -legacy.
    try {
      pem = await runOpenssl([...base, "-legacy"], data, password, timeoutMs);
    } catch {
      throw first;
    }
  }
  return credentialFromPem(pem);
}
