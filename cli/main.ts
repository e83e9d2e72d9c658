#!/usr/bin/env node
// Entry point of `podid` and of the kubectl plugin `kubectl-podid` (package.json bin).
import { basename } from "node:path";
import { runCli } from "./run.ts";

// kubectl runs plugins by file name; show `kubectl podid` in help then.
const prog = basename(process.argv[1] ?? "").startsWith("kubectl-podid") ? "kubectl podid" : "podid";
const code = await runCli(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  env: process.env,
  prog,
});
// Let stdout drain (pipes) before exiting with the verdict's code.
process.exitCode = code;
