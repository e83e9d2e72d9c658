// A tokenizer for the subset of Bicep that podid's templates use (there is no Bicep compiler on
// this machine). Strings keep their literal parts and the tokens of each `${...}` interpolation,
// so references inside interpolations are found like any other.

export type Token =
  | { kind: "ident"; text: string; line: number }
  | { kind: "number"; text: string; line: number }
  | { kind: "string"; text: string; parts: string[]; interpolations: Token[][]; line: number }
  | { kind: "punct"; text: string; line: number }
  | { kind: "newline"; text: "\n"; line: number };

export class BicepSyntaxError extends Error {}

const PUNCT2 = ["=>", "==", "!=", "<=", ">=", "&&", "||", "??", ".?", "=~", "!~"];

/** Tokens of `src`; `stopAtBrace` ends at an unmatched `}` (the end of an interpolation). */
function lex(src: string, start: number, line: number, stopAtBrace: boolean): { tokens: Token[]; end: number; line: number } {
  const tokens: Token[] = [];
  let i = start;
  let depth = 0;
  while (i < src.length) {
    const c = src[i] ?? "";
    if (c === "\n") { tokens.push({ kind: "newline", text: "\n", line }); line++; i++; continue; }
    if (c === " " || c === "\t" || c === "\r") { i++; continue; }
    if (src.startsWith("//", i)) { while (i < src.length && src[i] !== "\n") i++; continue; }
    if (src.startsWith("/*", i)) {
      const end = src.indexOf("*/", i + 2);
      if (end === -1) throw new BicepSyntaxError(`line ${line}: unterminated comment`);
      line += src.slice(i, end).split("\n").length - 1;
      i = end + 2;
      continue;
    }
    if (src.startsWith("'''", i)) {
      const end = src.indexOf("'''", i + 3);
      if (end === -1) throw new BicepSyntaxError(`line ${line}: unterminated multi-line string`);
      const text = src.slice(i + 3, end);
      tokens.push({ kind: "string", text, parts: [text], interpolations: [], line });
      line += text.split("\n").length - 1;
      i = end + 3;
      continue;
    }
    if (c === "'") {
      const s = lexString(src, i + 1, line);
      tokens.push(s.token);
      i = s.end;
      line = s.line;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < src.length && /[A-Za-z0-9_]/.test(src[j] ?? "")) j++;
      tokens.push({ kind: "ident", text: src.slice(i, j), line });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < src.length && /[0-9]/.test(src[j] ?? "")) j++;
      tokens.push({ kind: "number", text: src.slice(i, j), line });
      i = j;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (PUNCT2.includes(two)) { tokens.push({ kind: "punct", text: two, line }); i += 2; continue; }
    if (c === "{") depth++;
    if (c === "}") {
      if (stopAtBrace && depth === 0) return { tokens, end: i + 1, line };
      depth--;
    }
    if (!"{}[]()<>,:=.?!@+-*/%|".includes(c)) throw new BicepSyntaxError(`line ${line}: unexpected character '${c}'`);
    tokens.push({ kind: "punct", text: c, line });
    i++;
  }
  if (stopAtBrace) throw new BicepSyntaxError(`line ${line}: unterminated interpolation`);
  return { tokens, end: i, line };
}

function lexString(src: string, start: number, line: number): { token: Token; end: number; line: number } {
  const parts: string[] = [];
  const interpolations: Token[][] = [];
  let cur = "";
  let text = "";
  let i = start;
  const first = line;
  while (i < src.length) {
    const c = src[i] ?? "";
    if (c === "\n") throw new BicepSyntaxError(`line ${line}: newline in a string`);
    if (c === "\\") {
      const n = src[i + 1] ?? "";
      const map: Record<string, string> = { n: "\n", r: "\r", t: "\t", "\\": "\\", "'": "'", $: "$" };
      if (!(n in map)) throw new BicepSyntaxError(`line ${line}: bad escape \\${n}`);
      cur += map[n];
      text += map[n];
      i += 2;
      continue;
    }
    if (c === "'") {
      parts.push(cur);
      return { token: { kind: "string", text, parts, interpolations, line: first }, end: i + 1, line };
    }
    if (src.startsWith("${", i)) {
      parts.push(cur);
      cur = "";
      const inner = lex(src, i + 2, line, true);
      interpolations.push(inner.tokens);
      text += "${" + src.slice(i + 2, inner.end - 1) + "}";
      i = inner.end;
      line = inner.line;
      continue;
    }
    cur += c;
    text += c;
    i++;
  }
  throw new BicepSyntaxError(`line ${first}: unterminated string`);
}

export function tokenize(src: string): Token[] {
  return lex(src, 0, 1, false).tokens;
}

/** Every token, including those inside string interpolations. */
export function* deepTokens(tokens: readonly Token[]): Generator<Token> {
  for (const t of tokens) {
    yield t;
    if (t.kind === "string") for (const inner of t.interpolations) yield* deepTokens(inner);
  }
}

/** Source-like text of tokens (for messages and simple expression comparisons). */
export function render(tokens: readonly Token[]): string {
  return tokens.filter((t) => t.kind !== "newline").map((t) => (t.kind === "string" ? `'${t.text}'` : t.text)).join(" ");
}
