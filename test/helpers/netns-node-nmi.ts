// NMI mode of the netns node (kube peer + IMDS peer + real NMI). Filled in once nmi/ and the
// peers exist.
import type { NodeBackend } from "./netns-node.ts";

export async function nmiBackend(): Promise<NodeBackend> {
  throw new Error("netns-node: --mode nmi is not available yet (nmi/ buildNmi or sandbox peers missing)");
}
