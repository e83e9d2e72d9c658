// Stand-in for the host-provided `@azure/functions-core` module. The real Node worker answers
// `require('@azure/functions-core')` by wrapping Module.prototype.require; we do the same, so
// `@azure/functions` registers against us instead of switching to "test mode".
//
// Why a process-wide singleton: `@azure/functions` caches the core API on its first `app.*`
// call (utils/tryGetCoreApiLazy.ts) and `setProgrammingModel` happens once. So there can be one
// kit per process: install it before the app module is imported (use `await import(...)` in
// ESM, static imports are hoisted), and put tests that need different apps in different files.
import Module from "node:module";
import { CapturedApp } from "./captured-app.ts";
import type { FunctionCallback, FunctionMetadata, HookCallback, ProgrammingModel } from "./core-types.ts";

export interface KitLogEntry {
  level: string;
  category: string;
  message: string;
  functionName?: string | undefined;
  invocationId?: string | undefined;
}

/** What the fake core module records; CapturedApp reads it. */
export interface CoreState {
  programmingModel: ProgrammingModel | undefined;
  functions: Map<string, { metadata: FunctionMetadata; callback: FunctionCallback }>;
  hooks: Map<string, HookCallback[]>;
  logs: KitLogEntry[];
  /** Optional sink for every log line (system and user), e.g. to print while debugging. */
  onLog: ((entry: KitLogEntry) => void) | undefined;
}

class Disposable {
  #onDispose: (() => void) | undefined;
  constructor(onDispose: () => void) { this.#onDispose = onDispose; }
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => { for (const i of items) i.dispose(); });
  }
  dispose(): void { const f = this.#onDispose; this.#onDispose = undefined; f?.(); }
}

let installed: CapturedApp | undefined;

function makeCoreApi(state: CoreState): Record<string, unknown> {
  return {
    version: "podid-functions-kit/1.0.0",
    Disposable,
    setProgrammingModel(model: ProgrammingModel): void { state.programmingModel = model; },
    getProgrammingModel(): ProgrammingModel | undefined { return state.programmingModel; },
    registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
      // The worker rejects duplicate names at registration; so do we (a test bug otherwise).
      if (state.functions.has(metadata.name)) {
        throw new Error(`A function with the name "${metadata.name}" has already been registered.`);
      }
      state.functions.set(metadata.name, { metadata, callback });
      return new Disposable(() => state.functions.delete(metadata.name));
    },
    registerHook(hookName: string, callback: HookCallback): Disposable {
      const list = state.hooks.get(hookName) ?? [];
      list.push(callback);
      state.hooks.set(hookName, list);
      return new Disposable(() => {
        const i = list.indexOf(callback);
        if (i >= 0) list.splice(i, 1);
      });
    },
    log(level: string, category: string, message: string): void {
      const entry = { level, category, message };
      state.logs.push(entry);
      state.onLog?.(entry);
    },
  };
}

/**
 * Installs the fake core module (idempotent) and returns the process's CapturedApp. Must run
 * before the first `app.*` / `df.app.*` call of the process.
 */
export function installFunctionsCore(): CapturedApp {
  if (installed) return installed;
  const state: CoreState = { programmingModel: undefined, functions: new Map(), hooks: new Map(), logs: [], onLog: undefined };
  const coreApi = makeCoreApi(state);
  // eslint-disable-next-line @typescript-eslint/unbound-method -- wrapped, called with its own `this` below
  const originalRequire = Module.prototype.require;
  Module.prototype.require = new Proxy(originalRequire, {
    apply(target, thisArg: unknown, args: unknown[]): unknown {
      if (args[0] === "@azure/functions-core") return coreApi;
      return Reflect.apply(target, thisArg, args);
    },
  });
  installed = new CapturedApp(state);
  return installed;
}
