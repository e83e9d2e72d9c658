// Label and field selector grammar of the kube-apiserver peer, as tables of cases.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector, SelectorError,
} from "../../sandbox/peers/kube/selectors.ts";

const LABELS = { app: "web", tier: "front", "example.com/team": "a", n: "5", empty: "" };

test("label selectors parse into requirements", () => {
  const cases: [string, unknown][] = [
    ["", []],
    ["app=web", [{ key: "app", op: "=", values: ["web"] }]],
    ["app == web", [{ key: "app", op: "=", values: ["web"] }]],
    ["app!=web", [{ key: "app", op: "!=", values: ["web"] }]],
    ["app in (web, api)", [{ key: "app", op: "in", values: ["web", "api"] }]],
    ["app notin (web)", [{ key: "app", op: "notin", values: ["web"] }]],
    ["tier", [{ key: "tier", op: "exists", values: [] }]],
    ["!tier", [{ key: "tier", op: "!", values: [] }]],
    ["empty=", [{ key: "empty", op: "=", values: [""] }]],
    ["empty==", [{ key: "empty", op: "=", values: [""] }]],
    ["n>3,n<9", [{ key: "n", op: ">", values: ["3"] }, { key: "n", op: "<", values: ["9"] }]],
    ["example.com/team=a,!x", [{ key: "example.com/team", op: "=", values: ["a"] }, { key: "x", op: "!", values: [] }]],
  ];
  for (const [input, want] of cases) assert.deepEqual(parseLabelSelector(input), want, input);
});

test("label selectors match like the real server (absent keys match != and notin)", () => {
  const cases: [string, boolean][] = [
    ["app=web", true], ["app=api", false], ["app!=api", true], ["missing!=x", true],
    ["app in (api,web)", true], ["app in (api)", false], ["app notin (api)", true], ["missing notin (x)", true],
    ["missing in (x)", false], ["tier", true], ["missing", false], ["!missing", true], ["!tier", false],
    ["app=web,tier=front", true], ["app=web,tier=back", false], ["empty=", true], ["example.com/team=a", true],
    ["n>4", true], ["n>5", false], ["n<6", true], ["app>1", false],
  ];
  for (const [input, want] of cases) assert.equal(matchesLabels(parseLabelSelector(input), LABELS), want, input);
  assert.equal(matchesLabels(parseLabelSelector("!a"), undefined), true);
});

test("malformed label selectors are rejected", () => {
  for (const bad of ["app in web", "app in ()", "app=web,", "=web", "app in (a", "bad key=1", "app=a b", "Ex/x=1", "-a=1", `a=${"x".repeat(64)}`, "n>x"]) {
    assert.throws(() => parseLabelSelector(bad), SelectorError, bad);
  }
});

test("field selectors: =, ==, != and backslash escapes", () => {
  assert.deepEqual(parseFieldSelector("spec.nodeName=n1,status.phase!=Running,metadata.name==a"), [
    { field: "spec.nodeName", op: "=", value: "n1" },
    { field: "status.phase", op: "!=", value: "Running" },
    { field: "metadata.name", op: "=", value: "a" },
  ]);
  assert.deepEqual(parseFieldSelector("status.podIP="), [{ field: "status.podIP", op: "=", value: "" }]);
  assert.deepEqual(parseFieldSelector(String.raw`metadata.name=a\,b\=c`), [{ field: "metadata.name", op: "=", value: "a,b=c" }]);
  assert.deepEqual(parseFieldSelector(""), []);
  assert.throws(() => parseFieldSelector("spec.nodeName"), SelectorError);
  const fields: Record<string, string> = { "spec.nodeName": "n1", "status.phase": "Pending" };
  const read = (f: string): string => fields[f] ?? "";
  assert.equal(matchesFields(parseFieldSelector("spec.nodeName=n1,status.phase!=Running"), read), true);
  assert.equal(matchesFields(parseFieldSelector("spec.nodeName!=n1"), read), false);
  assert.equal(matchesFields(parseFieldSelector("status.podIP="), read), true);
});
