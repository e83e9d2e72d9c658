// Child-process entry for runLoadInChild: one spec in, one result out, then exit.
import { runLoad, type LoadSpec } from "./load.ts";

process.once("message", (spec) => {
  void runLoad(spec as LoadSpec).then((result) => {
    process.send?.(result, () => process.exit(0));
  });
});
