import assert from "node:assert/strict";
import { test } from "node:test";
import { classifyPath, normalisePath } from "../../../nmi/rules/classify-path.ts";

const cases: Array<[string, string, boolean?]> = [
  // canonical token path (metadata segment case-insensitive, as IMDS and the old NMI router)
  ["/metadata/identity/oauth2/token?api-version=2018-02-01&resource=x", "token"],
  ["/metadata/identity/oauth2/token", "token"],
  ["/metadata/identity/oauth2/token/", "token"],
  ["/METADATA/identity/oauth2/token?resource=x", "token"],
  ["/Metadata/identity/oauth2/token", "token"],
  // anything resembling the token path but not canonical → reject, never proxied
  ["/metadata/Identity/oauth2/token", "reject"],
  ["/metadata/identity/OAuth2/token", "reject"],
  ["/metadata/identity/oauth2/TOKEN", "reject"],
  ["\\metadata\\identity\\oauth2\\token", "reject"],
  ["/metadata\\identity\\oauth2\\token", "reject"],
  ["/metadata/identity\\oauth2/token", "reject"],
  ["//metadata/identity/oauth2/token", "reject"],
  ["/metadata//identity/oauth2/token", "reject"],
  ["/metadata/identity/oauth2/token//", "reject"],
  ["/metadata/identity/oauth2%2Ftoken", "reject"],
  ["/metadata/identity/oauth2%2ftoken", "reject"],
  ["/metadata%2Fidentity%2Foauth2%2Ftoken", "reject"],
  ["/metadata/identity/oauth2/%74oken", "reject"],
  ["/metadata/identity/oauth2/token%2F", "reject"],
  ["/metadata/identity/oauth2/%252Ftoken", "reject"],
  ["/metadata/./identity/oauth2/token", "reject"],
  ["/metadata/identity/./oauth2/token", "reject"],
  ["/metadata/instance/../identity/oauth2/token", "reject"],
  ["/metadata/%2e/identity/oauth2/token", "reject"],
  ["/metadata/identity/oauth2/token;x=1", "reject"],
  ["/metadata/identity/oauth2/tokens", "reject"],
  ["/metadata/identity/oauth2/token/extra", "reject"],
  ["/foo/../metadata/identity/oauth2/token", "reject"],
  ["/metadata/identity/oauth2/to%00ken", "reject"],
  ["/metadata/identity/oauth2/to ken", "reject"],
  ["/metadata/identity/oauth2/token\t", "reject"],
  ["http://169.254.169.254/metadata/identity/oauth2/token", "reject"],
  ["*", "reject"],
  // host token
  ["/host/token/", "host-token"],
  ["/host/token", "host-token"],
  ["/host/token/?resource=x", "host-token"],
  ["/host/tokens", "not-found"],
  // other metadata → proxy, instance optionally blocked
  ["/metadata/instance?api-version=2021-02-01", "proxy"],
  ["/metadata/instance", "blocked", true],
  ["/metadata/instance/compute?format=text", "blocked", true],
  ["/METADATA/INSTANCE", "blocked", true],
  ["/metadata/%69nstance", "blocked", true],
  ["/metadata/identity/info", "proxy", true],
  ["/metadata/versions", "proxy"],
  ["/metadata/scheduledevents", "proxy", true],
  // everything else
  ["/", "not-found"],
  ["/healthz", "not-found"],
  ["/metadataX/identity", "not-found"],
];

test("path classification table", () => {
  for (const [path, kind, block] of cases) {
    assert.equal(classifyPath(path, block ?? false).kind, kind, `${path} (block=${String(block ?? false)})`);
  }
});

test("normalisePath applies every permissive reading at once", () => {
  assert.equal(normalisePath("\\MetaData%2F.%2Fidentity//OAUTH2\\%2574oken"), "/metadata/identity/oauth2/token");
  assert.equal(normalisePath("/a/b/../c/./d"), "/a/c/d");
});
