// Test entry point (`npm test`): creates the throwaway CA that HTTPS peers need, exports it
// through NODE_EXTRA_CA_CERTS (read by Node only at start-up, so it must be set for the test
// processes, not inside them), then runs Node's built-in test runner over every *.test.ts.
import { spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { createPki, PKI_DIR_ENV, removePki } from "../sandbox/pki.ts";

function findTests(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

const roots = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const passThrough = process.argv.slice(2).filter((a) => a.startsWith("--"));
const files = (roots.length > 0 ? roots : ["test"]).flatMap((r) =>
  statSync(r).isDirectory() ? findTests(r) : [r],
).map((f) => relative(process.cwd(), f));

if (files.length === 0) {
  console.error("no test files found");
  process.exit(1);
}

const pki = createPki();
const child = spawn(process.execPath, [
  "--import", "tsx", "--test", "--test-reporter=spec",
  `--test-concurrency=${process.env.PODID_TEST_CONCURRENCY ?? "2"}`,
  ...passThrough, ...files,
], {
  stdio: "inherit",
  env: { ...process.env, NODE_EXTRA_CA_CERTS: pki.caCertPath, [PKI_DIR_ENV]: pki.dir },
});
const forward = (sig: NodeJS.Signals) => child.kill(sig);
process.on("SIGINT", forward);
process.on("SIGTERM", forward);
child.on("exit", (code, signal) => {
  removePki(pki);
  process.exit(code ?? (signal ? 1 : 0));
});
