// Human renderers: tables, the diagnosis report, the token summary (never the token unless asked).
import assert from "node:assert/strict";
import { test } from "node:test";
import { renderDiagnosis } from "../../../cli/diagnose/render.ts";
import { diagnoseVerdict } from "../../../cli/diagnose/verdict.ts";
import { redactClientId } from "../../../cli/render/redact.ts";
import { fields, table } from "../../../cli/render/table.ts";
import { renderToken } from "../../../cli/token/render.ts";
import { jwtClaims, type TokenResult } from "../../../cli/token/request.ts";
import { aai, facts, HOST_ID, healthyFacts } from "../../helpers/cli-facts.ts";

test("table: upper-case headers, aligned columns, no trailing spaces", () => {
  assert.equal(table(["name", "status"], [["a", "Assigned"], ["longer-name", "Created"]], "  "),
    "  NAME          STATUS\n  a             Assigned\n  longer-name   Created");
  assert.equal(fields([["Pod", "x"], ["Selector", "y"]]), "Pod        x\nSelector   y");
});

test("diagnosis report: one block per link, verdict last", () => {
  const f = healthyFacts();
  const text = renderDiagnosis(f, diagnoseVerdict(f));
  for (const re of [
    /^Pod\s+default\/web-1$/m, /^Node\s+node-a$/m, /^IP\s+10\.0\.0\.5$/m, /^Selector\s+aadpodidbinding=web$/m, /^Host\s+vmss vmss-a$/m,
    /^NMI\s+podid-system\/podid-nmi-abc \(Running, ready\)$/m, /^Mode\s+standard$/m,
    /^Bindings:\n {2}BINDING\s+IDENTITY\s+TYPE\s+CLIENT ID\s+RESULT\n {2}default\/web-id-binding\s+default\/web-id\s+MSI\s+aaaa##### REDACTED #####zzzz\s+selected$/m,
    /^Exceptions:\n {2}none apply$/m,
    /^AzureAssignedIdentities:\n {2}NAME\s+IDENTITY\s+NODE\s+STATUS\s+MESSAGE\n {2}default\/web-1-default-web-id\s+default\/web-id\s+node-a\s+Assigned\s+-$/m,
    /^MIC: skipped \(no --mic-url/m, /^NMI log \(podid-nmi-abc; 0 line\(s\) about this pod among 3 read\):\n {2}none$/m,
  ]) assert.match(text, re);
  assert.match(text, /\nVerdict: healthy: identity "web-id" is Assigned on vmss-a\n$/);
});

test("diagnosis report: hostNetwork, rejected bindings, MIC host block, NMI log lines", () => {
  const f = facts((x) => {
    x.pod.hostNetwork = true;
    x.bindings.rejected.push({ binding: "default/b2", identity: "default/gone", reason: "identity-not-found" });
    x.assignments = [aai("web-id", "Failed", { message: "LinkedAuthorizationFailed: nope" })];
    x.mic = { state: "ok", cluster: "c1", host: { hostId: HOST_ID, desired: ["a"], actual: [], generation: 3, reconciledGeneration: 3, pending: { adds: ["a"], removes: [], skipped: [] }, lastError: { code: "LinkedAuthorizationFailed", message: "nope" } } };
    x.nmiLogs = { state: "ok", nmiPod: "podid-nmi-abc", scanned: 4, lines: [{ time: "2024-01-01T00:00:00.000Z", level: "info", msg: "request", status: 403, outcome: "denied", reason: "assignment-failed", code: "PODID_NMI_ASSIGNMENT_FAILED", identity: "web-id", clientId: undefined, durationMs: 1 }] };
  });
  const text = renderDiagnosis(f, diagnoseVerdict(f));
  assert.match(text, /^IP\s+10\.0\.0\.5 \(hostNetwork: not intercepted by NMI\)$/m);
  assert.match(text, /default\/b2\s+default\/gone\s+-\s+-\s+rejected: identity-not-found/);
  assert.match(text, /Failed\s+LinkedAuthorizationFailed: nope/);
  assert.match(text, /^ {2}Desired\s+1$/m);
  assert.match(text, /^ {2}Pending\s+adds 1, removes 0, skipped 0$/m);
  assert.match(text, /^ {2}Last error\s+LinkedAuthorizationFailed: nope$/m);
  assert.match(text, /2024-01-01T00:00:00\.000Z\s+403\s+denied\s+PODID_NMI_ASSIGNMENT_FAILED\s+assignment-failed\s+web-id/);
  assert.match(text, /Verdict: pod uses hostNetwork/);
});

const token: TokenResult = {
  pod: "default/web-1", node: "node-a", via: { kind: "proxy", nmiPod: "podid-system/nmi-x", port: 2579 },
  clientId: "aaaa##### REDACTED #####zzzz", resource: "https://vault.azure.net", audience: "https://vault.azure.net", tokenType: "Bearer",
  expiresOn: "2030-01-01T00:00:00.000Z", expiresInSeconds: 3599, auxiliaryTokens: 0,
};

test("token summary hides the token unless it was asked for", () => {
  const hidden = renderToken(token);
  assert.match(hidden, /^Client id\s+aaaa##### REDACTED #####zzzz$/m);
  assert.match(hidden, /^Audience\s+https:\/\/vault\.azure\.net$/m);
  assert.match(hidden, /^Expires\s+2030-01-01T00:00:00\.000Z \(in 3599s\)$/m);
  assert.match(hidden, /^Via\s+NMI podid-system\/nmi-x \(port 2579\) via the API server's pod proxy$/m);
  assert.match(hidden, /^Token\s+\(hidden; --show-token prints it\)$/m);
  const shown = renderToken({ ...token, accessToken: "eyJ.secret.sig" });
  assert.match(shown, /^Token\s+eyJ\.secret\.sig$/m);
});

test("redaction and JWT claims", () => {
  assert.equal(redactClientId("12345678-aaaa-bbbb-cccc-1234567890ab"), "1234##### REDACTED #####90ab");
  assert.equal(redactClientId("short"), "##### REDACTED #####");
  assert.equal(redactClientId(undefined), undefined);
  const jwt = `x.${Buffer.from(JSON.stringify({ aud: "https://storage.azure.com", appid: "a" })).toString("base64url")}.y`;
  assert.deepEqual(jwtClaims(jwt), { aud: "https://storage.azure.com", appid: "a" });
  assert.equal(jwtClaims("opaque-token"), undefined);
  assert.equal(jwtClaims("a.!!!.c"), undefined);
});
