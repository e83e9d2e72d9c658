// What the MIC's functions need from the outside world, injected (no module singletons):
// production builds it from app settings (functions/production-deps.ts); tests and the sandbox
// pass their own (Azurite store, ARM peer, recording publisher).
import type { Logger } from "pino";
import type { AppSettings } from "../settings.ts";
import type { ClusterDirectory } from "../storage/cluster-directory.ts";
import type { ArmHosts } from "./arm/types.ts";
import type { ResultsPublisher } from "./results/publisher.ts";
import type { ClusterStateStore } from "./state/index.ts";

export interface MicDeps {
  settings: AppSettings;
  store: ClusterStateStore;
  arm: ArmHosts;
  publisher: ResultsPublisher;
  clusters: ClusterDirectory;
  logger: Logger;
}
