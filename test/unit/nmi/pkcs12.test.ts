import assert from "node:assert/strict";
import { createPublicKey } from "node:crypto";
import { test } from "node:test";
import { CertificateError, certificateCredential } from "../../../nmi/tokens/pkcs12.ts";
import { makeP12 } from "../../helpers/p12.ts";

test("PKCS#12 → PEM key, certificate and SHA-256 thumbprint (modern and legacy PBE)", async () => {
  for (const legacy of [false, true]) {
    const p = makeP12("s3cret pass'word", { legacy });
    const cred = await certificateCredential(p.p12, p.password);
    assert.equal(cred.thumbprintSha256, p.thumbprintSha256);
    assert.match(cred.privateKey, /^-----BEGIN PRIVATE KEY-----/);
    assert.equal(
      createPublicKey(cred.privateKey).export({ type: "spki", format: "pem" }),
      createPublicKey(p.certPem).export({ type: "spki", format: "pem" }),
    );
  }
});

test("wrong password and garbage are CertificateErrors without the password in the message", async () => {
  const p = makeP12("right-password");
  await assert.rejects(certificateCredential(p.p12, "wrong-password"), (e: unknown) => e instanceof CertificateError && !e.message.includes("wrong-password"));
  await assert.rejects(certificateCredential(Buffer.from("not a p12"), "x"), CertificateError);
});

test("a PEM bundle is accepted without openssl", async () => {
  const p = makeP12("x");
  const cred = await certificateCredential(Buffer.from(p.keyPem + p.certPem), "");
  assert.equal(cred.thumbprintSha256, p.thumbprintSha256);
});
