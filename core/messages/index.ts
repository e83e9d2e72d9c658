export * from "./common.ts";
export * from "./events.ts";
export * from "./commands.ts";
export * from "./snapshot.ts";
export * from "./trim.ts";
