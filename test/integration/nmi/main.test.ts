// The container entry point refuses invalid configuration with exit code 2 and a clear message.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

function runMain(args: string[], env: Record<string, string>): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", "nmi/main.ts", ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    encoding: "utf8",
    timeout: 20_000,
  });
  return { status: r.status, stderr: r.stderr };
}

test("invalid configuration → exit 2 with the reason on stderr", () => {
  const missing = runMain([], {});
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /invalid NMI configuration: nodeName/);
  const managed = runMain(["--operation-mode=managed"], { NODE_NAME: "n1" });
  assert.equal(managed.status, 2);
  assert.match(managed.stderr, /managed mode requires forceNamespaced/);
});
