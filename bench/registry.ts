// Every benchmark `npm run bench` runs, in order. Add a module here and it gets its own
// section in docs/benchmarks.md.
import type { BenchModule } from "./lib/types.ts";
import { micBurst } from "./mic-burst.ts";
import { nmiBurst } from "./nmi-burst.ts";

export const benchmarks: readonly BenchModule[] = [nmiBurst, micBurst];
