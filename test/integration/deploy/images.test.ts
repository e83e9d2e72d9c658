// The NMI and forwarder images: each Dockerfile builds what its entry point needs (the folders
// of its import graph, production dependencies only) and runs as the manifests expect; and the
// entry point itself, started with an empty environment, stops with a clear configuration error.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { REPO } from "../../helpers/deploy/config-names.ts";
import { importGraph, instruction, readDockerfile } from "../../helpers/deploy/dockerfile.ts";

const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { dependencies: Record<string, string> };

const IMAGES = [
  { component: "nmi", user: "0:0", missing: [/NODE_NAME/] },
  { component: "forwarder", user: "1000:1000", missing: [/PODID_CLUSTER_NAME/, /PODID_SERVICEBUS_CONNECTION_STRING/] },
] as const;

function runEntryPoint(entry: string): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    // Only what a container would have besides our settings: no PODID_*, no NODE_NAME, no kubeconfig.
    const child = spawn(process.execPath, ["--import", "tsx", entry], {
      cwd: REPO, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: "/nonexistent" }, stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`${entry} did not exit within 30 s`)); }, 30_000);
    child.on("error", reject);
    child.on("exit", (code) => { clearTimeout(timer); resolve({ code, stderr, stdout }); });
  });
}

for (const img of IMAGES) {
  const dockerfile = `${img.component}/Dockerfile`;

  test(`${dockerfile}: multi-stage on Node 22, production dependencies only, entry point = ${img.component}/main.ts compiled`, () => {
    const stages = readDockerfile(REPO, dockerfile);
    assert.ok(stages.length >= 3, "build, deps and runtime stages");
    for (const s of stages) assert.match(s.from, /^node:22(-|$)/, `stage ${s.name ?? "final"} is not Node 22`);
    const final = stages.at(-1);
    assert.ok(final);
    const deps = stages.find((s) => instruction(s, "RUN").some((r) => /npm ci\b.*--omit=dev/.test(r)));
    assert.ok(deps?.name, "a stage installs production dependencies only");
    assert.ok(instruction(final, "COPY").some((c) => c.includes(`--from=${deps.name}`) && c.includes("node_modules")), "the runtime copies node_modules from it");
    assert.ok(!instruction(final, "RUN").some((r) => /npm (ci|install)/.test(r)), "no other install in the runtime stage");
    const entry = JSON.parse(instruction(final, "ENTRYPOINT")[0] ?? "[]") as string[];
    assert.equal(entry[0], "node");
    assert.equal(entry.at(-1), `dist/${img.component}/main.js`);
    assert.deepEqual(instruction(final, "USER"), [img.user]);
  });

  test(`${dockerfile}: copies every folder ${img.component}/main.ts imports, and its packages are production dependencies`, () => {
    const stages = readDockerfile(REPO, dockerfile);
    const build = stages.find((s) => instruction(s, "RUN").some((r) => r.includes("npm run build")));
    assert.ok(build, "a stage compiles the sources");
    const copied = new Set(instruction(build, "COPY").map((c) => c.split(/\s+/)[0] ?? ""));
    const graph = importGraph(REPO, `${img.component}/main.ts`);
    const folders = new Set(graph.files.map((f) => f.split("/")[0] ?? ""));
    for (const folder of folders) assert.ok(copied.has(folder), `${img.component} imports ${folder}/ but the build stage does not copy it`);
    const final = stages.at(-1);
    assert.ok(final);
    for (const folder of folders) {
      assert.ok(instruction(final, "COPY").some((c) => c.includes(`/dist/${folder} `)), `runtime stage lacks dist/${folder}`);
    }
    for (const p of graph.packages) assert.ok(p in pkg.dependencies, `${img.component} imports ${p}, which is not a production dependency`);
  });

  test(`${img.component}/main.ts with an empty environment exits 2 naming the missing settings`, async () => {
    const r = await runEntryPoint(`${img.component}/main.ts`);
    assert.equal(r.code, 2, `exit code (stderr: ${r.stderr})`);
    for (const re of img.missing) assert.match(r.stderr, re);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "a configuration error, not a stack trace");
  });
}
