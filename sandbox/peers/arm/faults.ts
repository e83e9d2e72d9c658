// Injectable faults (scripted errors, 429 throttling, latency) and the rate-limit headers ARM
// and Compute attach to every answer.
import { ArmError, armErrors } from "./errors.ts";

export interface RequestFilter {
  /** Only this HTTP method (any when omitted). */
  method?: string;
  /** RegExp tested on the path, or a case-insensitive substring of it (any when omitted). */
  pathPattern?: RegExp | string;
}

export interface ScriptedArmError extends RequestFilter {
  status: number;
  code: string;
  message: string;
  /** How many matching requests fail (default 1). */
  times?: number;
  headers?: Record<string, string>;
  details?: Array<{ code: string; message: string; target?: string }>;
}

interface Script {
  filter: RequestFilter;
  error: ArmError;
  times: number;
}

function matches(filter: RequestFilter, method: string, path: string): boolean {
  if (filter.method !== undefined && filter.method.toUpperCase() !== method.toUpperCase()) return false;
  const p = filter.pathPattern;
  if (p === undefined) return true;
  return typeof p === "string" ? path.toLowerCase().includes(p.toLowerCase()) : p.test(path);
}

export class Faults {
  latencyMs = 0;
  private scripts: Script[] = [];
  private reads = 12000;
  private writes = 1200;
  private computeBudget = { get: 200, put: 60 };

  script429(times: number, retryAfterSeconds: number, filter: RequestFilter = {}): void {
    this.scripts.push({ filter, error: armErrors.tooManyRequests(retryAfterSeconds), times });
  }

  scriptError(spec: ScriptedArmError): void {
    const extra = {
      ...(spec.headers ? { headers: spec.headers } : {}),
      ...(spec.details ? { details: spec.details } : {}),
    };
    this.scripts.push({ filter: spec, error: new ArmError(spec.status, spec.code, spec.message, extra), times: spec.times ?? 1 });
  }

  clear(): void {
    this.scripts = [];
  }

  /** The scripted error for this request, if any (consumes one use). */
  take(method: string, path: string): ArmError | undefined {
    const i = this.scripts.findIndex((s) => matches(s.filter, method, path));
    const script = this.scripts[i];
    if (!script) return undefined;
    if (--script.times <= 0) this.scripts.splice(i, 1);
    return script.error;
  }

  /** Counts the request against the (never refilled) budgets and returns the headers. */
  rateLimitHeaders(method: string): Record<string, string> {
    const write = method !== "GET";
    if (write) {
      this.writes = Math.max(0, this.writes - 1);
      this.computeBudget.put = Math.max(0, this.computeBudget.put - 1);
    } else {
      this.reads = Math.max(0, this.reads - 1);
      this.computeBudget.get = Math.max(0, this.computeBudget.get - 1);
    }
    const kind = write ? "writes" : "reads";
    const left = write ? this.writes : this.reads;
    const c = write
      ? `Microsoft.Compute/PutVMScaleSet3Min;${this.computeBudget.put},Microsoft.Compute/PutVMScaleSet30Min;${this.computeBudget.put * 5}`
      : `Microsoft.Compute/GetVMScaleSet3Min;${this.computeBudget.get},Microsoft.Compute/GetVMScaleSet30Min;${this.computeBudget.get * 6}`;
    return {
      [`x-ms-ratelimit-remaining-subscription-${kind}`]: String(left),
      [`x-ms-ratelimit-remaining-subscription-global-${kind}`]: String(left * 10),
      "x-ms-ratelimit-remaining-resource": c,
      "x-ms-request-charge": "1",
    };
  }
}
