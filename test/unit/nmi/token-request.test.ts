import assert from "node:assert/strict";
import { test } from "node:test";
import { checkMetadataHeader, normaliseResource, parseTokenQuery } from "../../../nmi/rules/token-request.ts";

test("Metadata header must be exactly 'true' when required", () => {
  const table: Array<[string | string[] | undefined, boolean, boolean, string]> = [
    ["true", true, true, "metadata-header-present"],
    [undefined, true, false, "metadata-header-missing"],
    ["True", true, false, "metadata-header-incorrect"],
    ["false", true, false, "metadata-header-incorrect"],
    [["true", "true"], true, false, "metadata-header-incorrect"],
    [undefined, false, true, "metadata-header-not-required"],
  ];
  for (const [value, required, ok, reason] of table) {
    assert.deepEqual(checkMetadataHeader(value, required), { ok, reason }, JSON.stringify(value));
  }
});

test("query parsing: resource and identity selectors", () => {
  const table: Array<[string, string, string | undefined]> = [
    ["resource=https%3A%2F%2Fvault.azure.net", "valid-token-request", undefined],
    ["resource=r&client_id=ABC", "valid-token-request", "client_id"],
    ["resource=r&msi_res_id=%2Fsubscriptions%2Fx", "valid-token-request", "msi_res_id"],
    ["resource=r&mi_res_id=%2Fsubscriptions%2Fx", "valid-token-request", "msi_res_id"],
    ["resource=r&object_id=o", "valid-token-request", "object_id"],
    ["resource=r&client_id=", "valid-token-request", undefined],
    ["", "resource-missing", undefined],
    ["resource=", "resource-missing", undefined],
    ["resource=%20", "resource-missing", undefined],
    ["api-version=2018-02-01", "resource-missing", undefined],
    ["resource=a&resource=b", "duplicate-parameter", undefined],
    ["resource=a&client_id=x&client_id=y", "duplicate-parameter", undefined],
    ["resource=a&api-version=1&api-version=2", "duplicate-parameter", undefined],
    ["resource=a&client_id=x&msi_res_id=y", "several-identity-parameters", undefined],
    ["resource=a&msi_res_id=x&mi_res_id=y", "several-identity-parameters", undefined],
    ["resource=a&object_id=x&client_id=y", "several-identity-parameters", undefined],
  ];
  for (const [query, reason, selector] of table) {
    const d = parseTokenQuery(query);
    assert.equal(d.reason, reason, query);
    if (d.ok) assert.equal(d.request.selector?.kind, selector, query);
    else assert.match(d.code, /^PODID_NMI_(RESOURCE_REQUIRED|INVALID_QUERY)$/);
  }
  const mi = parseTokenQuery("resource=r&mi_res_id=/x");
  assert.ok(mi.ok);
  assert.deepEqual(mi.request.selector, { kind: "msi_res_id", value: "/x", param: "mi_res_id" });
});

test("resource normalisation: trailing slash does not matter, case does", () => {
  assert.equal(normaliseResource("https://management.azure.com/"), normaliseResource("https://management.azure.com"));
  assert.notEqual(normaliseResource("api://App"), normaliseResource("api://app"));
});
