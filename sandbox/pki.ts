// Throwaway PKI for the HTTPS peers (ARM, Entra ID). Azure SDKs refuse bearer tokens and
// MSAL refuses authorities over plain HTTP, so the peers must speak TLS; Node trusts this CA
// only when NODE_EXTRA_CA_CERTS points at it at process start (set by scripts/run-tests.ts
// and sandbox/run.ts).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Pki {
  dir: string;
  caCertPath: string;
  /** PEM server certificate for 127.0.0.1, ::1 and localhost, signed by the CA. */
  cert: string;
  key: string;
}

export const PKI_DIR_ENV = "PODID_TEST_PKI";

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

/** Creates a CA and a loopback server certificate in a new temporary folder. */
export function createPki(dir = mkdtempSync(join(tmpdir(), "podid-pki-"))): Pki {
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
    "-days", "2", "-subj", "/CN=podid throwaway test CA"], dir);
  writeFileSync(join(dir, "server.ext"),
    "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nbasicConstraints=CA:FALSE\n" +
    "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n");
  openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
    "-subj", "/CN=localhost"], dir);
  openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
    "-out", "server.crt", "-days", "2", "-extfile", "server.ext"], dir);
  return loadPki(dir);
}

export function loadPki(dir: string): Pki {
  return {
    dir,
    caCertPath: join(dir, "ca.crt"),
    cert: readFileSync(join(dir, "server.crt"), "utf8"),
    key: readFileSync(join(dir, "server.key"), "utf8"),
  };
}

/** The PKI prepared by the test runner; throws with a hint when a test runs outside it. */
export function testPki(): Pki {
  const dir = process.env[PKI_DIR_ENV];
  if (!dir) {
    throw new Error(`${PKI_DIR_ENV} is not set: run tests through 'npm test' (scripts/run-tests.ts), which creates the throwaway CA`);
  }
  return loadPki(dir);
}

export function removePki(pki: Pki): void {
  rmSync(pki.dir, { recursive: true, force: true });
}
