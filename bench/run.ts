// `npm run bench [-- --write] [--quick] [--only <id>]`: runs every registered benchmark,
// prints markdown; --write updates docs/benchmarks.md between each module's markers.
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { benchmarks } from "./registry.ts";
import { machineNotes, renderResult, replaceSection } from "./lib/markdown.ts";

const DOC = new URL("../docs/benchmarks.md", import.meta.url);
const HEADER = "# Benchmarks\n\nProduced by `npm run bench -- --write` (see `bench/`). Figures are from the machine noted\n" +
  "under each heading; ratios to a baseline measured in the same run are what carry over between machines.\n";

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { write: { type: "boolean", default: false }, quick: { type: "boolean", default: false }, only: { type: "string" } } });
  const selected = benchmarks.filter((b) => values.only === undefined || b.id === values.only);
  if (selected.length === 0) throw new Error(`no benchmark with id ${values.only}; have: ${benchmarks.map((b) => b.id).join(", ")}`);
  const machine = machineNotes();
  let doc = existsSync(DOC) ? readFileSync(DOC, "utf8") : HEADER;
  let failed = false;
  for (const b of selected) {
    process.stderr.write(`bench: ${b.id} — ${b.description}\n`);
    const result = await b.run({ quick: values.quick, log: (l) => process.stderr.write(`  ${l}\n`) });
    const md = renderResult(result, machine);
    process.stdout.write(`${md}\n`);
    doc = replaceSection(doc, b.id, md);
    if (result.targets.some((t) => !t.met)) failed = true;
  }
  if (values.write) {
    writeFileSync(DOC, doc);
    process.stderr.write(`bench: wrote ${DOC.pathname}\n`);
  }
  // Missed targets are reported, not fatal: timing on shared CI machines is noisy.
  if (failed) process.stderr.write("bench: some targets were not met (see ❌ above)\n");
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
