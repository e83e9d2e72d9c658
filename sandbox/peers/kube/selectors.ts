// Label and field selectors with the real server's grammar: labels support `=`, `==`, `!=`,
// `in`, `notin`, `key`, `!key`, `>` and `<`; fields support `=`, `==`, `!=` with `\` escapes.
export type LabelOp = "=" | "!=" | "in" | "notin" | "exists" | "!" | ">" | "<";
export interface LabelRequirement { key: string; op: LabelOp; values: string[] }
export interface FieldRequirement { field: string; op: "=" | "!="; value: string }

export class SelectorError extends Error {}

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Label key: optional DNS-subdomain prefix and `/`, then a name of at most 63 characters. */
export function labelKeyError(key: string): string | undefined {
  const slash = key.indexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'";
  }
  if (name.length === 0 || name.length > 63 || !NAME.test(name)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  }
  return undefined;
}

export function labelValueError(value: string): string | undefined {
  if (value === "") return undefined;
  if (value.length > 63) return "must be no more than 63 characters";
  return NAME.test(value) ? undefined
    : "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
}

type Token = { t: "id"; v: string } | { t: "op"; v: string };

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s.charAt(i);
    if (/\s/.test(c)) { i++; continue; }
    const two = s.slice(i, i + 2);
    if (two === "==" || two === "!=") { out.push({ t: "op", v: two }); i += 2; continue; }
    if ("=!(),<>".includes(c)) { out.push({ t: "op", v: c }); i++; continue; }
    let j = i;
    while (j < s.length && !/[\s=!(),<>]/.test(s.charAt(j))) j++;
    out.push({ t: "id", v: s.slice(i, j) });
    i = j;
  }
  return out;
}

/** Parses a labelSelector; throws SelectorError with the real server's style of message. */
export function parseLabelSelector(input: string): LabelRequirement[] {
  const toks = tokenize(input);
  const reqs: LabelRequirement[] = [];
  let i = 0;
  const fail = (what: string): never => { throw new SelectorError(`unable to parse requirement: ${what}`); };
  const peek = (): Token | undefined => toks[i];
  const ident = (what: string): string => {
    const t = toks[i++];
    if (t?.t !== "id") fail(`found '${t?.v ?? "EOS"}', expected: ${what}`);
    return (t as Token).v;
  };
  const checkKey = (k: string): void => { const e = labelKeyError(k); if (e) fail(`key: Invalid value: "${k}": ${e}`); };
  const checkVal = (v: string): void => { const e = labelValueError(v); if (e) fail(`values[0][${v}]: Invalid value: "${v}": ${e}`); };
  while (i < toks.length) {
    let req: LabelRequirement;
    if (peek()?.v === "!" && peek()?.t === "op") {
      i++;
      const key = ident("identifier after '!'");
      checkKey(key);
      req = { key, op: "!", values: [] };
    } else {
      const key = ident("identifier");
      checkKey(key);
      const op = peek();
      if (op === undefined || op.v === ",") {
        req = { key, op: "exists", values: [] };
      } else if (op.t === "id" && (op.v === "in" || op.v === "notin")) {
        i++;
        if (toks[i++]?.v !== "(") fail(`found '${toks[i - 1]?.v ?? "EOS"}', expected: '('`);
        const values: string[] = [];
        while (peek()?.v !== ")") {
          const t = toks[i];
          if (t?.t === "id") { checkVal(t.v); values.push(t.v); i++; } else if (t?.v === ",") {
            // `in (a,)` keeps an empty value, as the real parser does.
            if (toks[i + 1]?.v === ")" || toks[i - 1]?.v === "(") values.push("");
            i++;
          } else fail(`found '${t?.v ?? "EOS"}', expected: ',', ')' or identifier`);
        }
        i++;
        if (values.length === 0) fail("for 'in', 'notin' operators, values set can't be empty");
        req = { key, op: op.v, values };
      } else if (op.t === "op" && ["=", "==", "!=", ">", "<"].includes(op.v)) {
        i++;
        const t = peek();
        const value = t?.t === "id" ? (i++, t.v) : "";
        checkVal(value);
        if ((op.v === ">" || op.v === "<") && !/^-?\d+$/.test(value)) fail(`for 'Gt', 'Lt' operators, the value must be an integer`);
        req = { key, op: op.v === "==" ? "=" : (op.v as LabelOp), values: [value] };
      } else {
        return fail(`found '${op.v}', expected: in, notin, =, ==, !=, gt, lt`);
      }
    }
    reqs.push(req);
    const sep = toks[i];
    if (sep === undefined) break;
    if (sep.v !== ",") fail(`found '${sep.v}', expected: ','`);
    i++;
    if (i === toks.length) fail("found 'EOS', expected: identifier");
  }
  return reqs;
}

export function matchesLabels(reqs: LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.hasOwn(l, r.key);
    const v = l[r.key] ?? "";
    switch (r.op) {
      case "exists": return has;
      case "!": return !has;
      case "=": return has && v === r.values[0];
      case "!=": return !has || v !== r.values[0];
      case "in": return has && r.values.includes(v);
      case "notin": return !has || !r.values.includes(v);
      case ">": return has && /^-?\d+$/.test(v) && Number(v) > Number(r.values[0]);
      case "<": return has && /^-?\d+$/.test(v) && Number(v) < Number(r.values[0]);
    }
  });
}

/** Splits on unescaped `sep`; `\` escapes `,`, `=`, `!` and `\` as in fields.ParseSelector. */
function splitUnescaped(s: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (c === "\\" && i + 1 < s.length) { cur += c + s.charAt(i + 1); i++; continue; }
    if (c === sep) { parts.push(cur); cur = ""; continue; }
    cur += c;
  }
  parts.push(cur);
  return parts;
}

const unescape = (s: string): string => s.replace(/\\(.)/g, "$1");

export function parseFieldSelector(input: string): FieldRequirement[] {
  if (input.trim() === "") return [];
  return splitUnescaped(input, ",").map((term) => {
    for (let i = 0; i < term.length; i++) {
      if (term.charAt(i) === "\\") { i++; continue; }
      for (const op of ["!=", "==", "="] as const) {
        if (term.startsWith(op, i)) {
          return { field: unescape(term.slice(0, i)).trim(), op: op === "!=" ? "!=" : "=", value: unescape(term.slice(i + op.length)) };
        }
      }
    }
    throw new SelectorError(`invalid selector: '${input}'; can't understand '${term}'`);
  });
}

export function matchesFields(reqs: FieldRequirement[], read: (field: string) => string): boolean {
  return reqs.every((r) => (read(r.field) === r.value) === (r.op === "="));
}
