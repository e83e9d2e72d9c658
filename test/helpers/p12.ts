// Test certificates for type-2 identities: a self-signed RSA key + certificate packed as
// PKCS#12 by openssl (as `az ad sp create-for-rbac --create-cert` users would export it).
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestP12 {
  p12: Buffer;
  password: string;
  certPem: string;
  keyPem: string;
  thumbprintSha256: string;
}

export function makeP12(password: string, o: { legacy?: boolean; cn?: string } = {}): TestP12 {
  const dir = mkdtempSync(join(tmpdir(), "podid-p12-"));
  try {
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "cert.pem",
      "-days", "2", "-subj", `/CN=${o.cn ?? "podid test sp"}`], { cwd: dir, stdio: "ignore" });
    execFileSync("openssl", ["pkcs12", "-export", "-inkey", "key.pem", "-in", "cert.pem", "-out", "c.p12",
      "-passout", "env:P12PASS", ...(o.legacy ? ["-legacy"] : [])], { cwd: dir, stdio: "ignore", env: { ...process.env, P12PASS: password } });
    const certPem = readFileSync(join(dir, "cert.pem"), "utf8");
    return {
      p12: readFileSync(join(dir, "c.p12")),
      password,
      certPem,
      keyPem: readFileSync(join(dir, "key.pem"), "utf8"),
      thumbprintSha256: new X509Certificate(certPem).fingerprint256.replace(/:/g, "").toLowerCase(),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
