import assert from "node:assert/strict";
import { test } from "node:test";
import { ERROR_HEADER, NMI_ERRORS, NmiError, errorResponse, type NmiErrorCode } from "../../../nmi/errors.ts";

test("every code maps to an IMDS-style body and the code header", () => {
  for (const code of Object.keys(NMI_ERRORS) as NmiErrorCode[]) {
    const r = errorResponse(new NmiError(code, "r"), 7);
    assert.equal(r.headers[ERROR_HEADER], code);
    assert.equal(typeof r.body.error, "string");
    assert.ok(r.body.error_description.length > 0, code);
    // transient answers carry Retry-After and use a status the SDKs retry
    if (NMI_ERRORS[code].transient) {
      assert.equal(r.headers["retry-after"], "7", code);
      assert.ok([404, 429, 503].includes(r.status), code);
    } else {
      assert.equal(r.headers["retry-after"], undefined, code);
      assert.ok(![404, 410, 429, 503].includes(r.status) || code === "PODID_NMI_NOT_FOUND", code);
    }
  }
});

test("final authorization refusals are 403, header errors 400 with IMDS text", () => {
  assert.equal(NMI_ERRORS.PODID_NMI_NO_IDENTITY_BOUND.status, 403);
  assert.equal(NMI_ERRORS.PODID_NMI_IDENTITY_NOT_PERMITTED.status, 403);
  const r = errorResponse(new NmiError("PODID_NMI_METADATA_HEADER_REQUIRED", "x"), 5);
  assert.deepEqual([r.status, r.body.error, r.body.error_description], [400, "invalid_request", "Required metadata header not specified"]);
  // upstream's Retry-After wins over the default
  assert.equal(errorResponse(new NmiError("PODID_NMI_UPSTREAM_THROTTLED", "x", undefined, 3), 5).headers["retry-after"], "3");
});
