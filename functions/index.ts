// Entry point the Functions host loads (package.json "main" → dist/functions/index.js).
// Validates the app settings at start-up and logs every problem by name; the functions are
// registered either way (with bad settings each invocation fails with the same message).
import { pino } from "pino";
import { registerMicApp } from "./app.ts";
import { createProductionDeps } from "./production-deps.ts";
import { loadSettings, resyncScheduleFrom, SettingsError } from "./settings.ts";
import type { AppSettings } from "./settings.ts";

const logger = pino({ name: "podid-mic" });
let settings: AppSettings | SettingsError;
try {
  settings = loadSettings(process.env);
} catch (e) {
  if (!(e instanceof SettingsError)) throw e;
  settings = e;
  for (const problem of e.problems) logger.error({ code: e.code }, `podid MIC setting ${problem}`);
}

registerMicApp({
  resyncSchedule: resyncScheduleFrom(process.env),
  deps: () => {
    if (settings instanceof SettingsError) return Promise.reject(settings);
    return createProductionDeps({ settings, env: process.env, logger });
  },
});
