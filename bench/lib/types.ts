// The contract between `npm run bench` and each benchmark module.

export interface BenchOptions {
  /** Smaller counts (CI smoke run / --quick). */
  quick: boolean;
  log: (line: string) => void;
}

export interface BenchTable {
  columns: string[];
  rows: string[][];
}

export interface BenchResult {
  /** Markdown heading for this benchmark's section. */
  title: string;
  tables: BenchTable[];
  /** Bullet points under the tables (setup, caveats). */
  notes: string[];
  /** Targets from DESIGN §9 and whether this run met them. */
  targets: { name: string; met: boolean; detail: string }[];
}

export interface BenchModule {
  /** Stable id: section markers in docs/benchmarks.md and `--only <id>`. */
  id: string;
  description: string;
  run(opts: BenchOptions): Promise<BenchResult>;
}
