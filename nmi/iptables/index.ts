// NMI's iptables interception: pure rules/plans, a runner, the manager and its helpers.
export * from "./rules.ts";
export * from "./plan.ts";
export * from "./errors.ts";
export * from "./runner.ts";
export * from "./manager.ts";
export * from "./verify-loop.ts";
export * from "./route-localnet.ts";
export * from "./shutdown.ts";
export * from "./metrics.ts";
