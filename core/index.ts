// core/: shared, dependency-light domain model. Imports nothing from the other folders.
export * from "./constants.ts";
export * from "./kube-meta.ts";
export * from "./crds.ts";
export * from "./naming.ts";
export * from "./pod.ts";
export * from "./resource-id.ts";
export * from "./provider-id.ts";
export * from "./matching.ts";
export * from "./messages/index.ts";
