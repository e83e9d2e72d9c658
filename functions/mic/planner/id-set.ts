// A set of Azure resource IDs compared the way ARM compares them (case-insensitively), that
// remembers the first spelling it saw: ARM may return ids lower-cased, but we PATCH and report
// them as the operator wrote them.
import { resourceIdKey } from "../../../core/index.ts";

export class ResourceIdSet {
  readonly #byKey = new Map<string, string>();

  constructor(ids: Iterable<string> = []) {
    for (const id of ids) this.add(id);
  }

  add(id: string): void {
    const key = resourceIdKey(id);
    if (key !== "" && !this.#byKey.has(key)) this.#byKey.set(key, id);
  }

  delete(id: string): void {
    this.#byKey.delete(resourceIdKey(id));
  }

  has(id: string): boolean {
    return this.#byKey.has(resourceIdKey(id));
  }

  /** The stored spelling of an id equal to `id`, if any. */
  get(id: string): string | undefined {
    return this.#byKey.get(resourceIdKey(id));
  }

  get size(): number {
    return this.#byKey.size;
  }

  /** Original spellings, sorted by key so plans are deterministic. */
  values(): string[] {
    return [...this.#byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, id]) => id);
  }

  keys(): string[] {
    return [...this.#byKey.keys()].sort();
  }
}
