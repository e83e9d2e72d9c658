// Command-line parsing: per-command options, defaults, env fallbacks and usage errors.
import assert from "node:assert/strict";
import { test } from "node:test";
import { duration, parseCommandLine, type Command } from "../../../cli/args.ts";
import { UsageError } from "../../../cli/errors.ts";

function parse(argv: string[], env: Record<string, string> = {}): Command {
  return parseCommandLine(argv, env);
}

function usage(argv: string[], message: RegExp, env: Record<string, string> = {}): void {
  assert.throws(() => parse(argv, env), (err: unknown) => err instanceof UsageError && message.test(err.message) && err.exitCode === 2);
}

test("diagnose: pod, namespace, kubeconfig/context, defaults for NMI and logs, MIC skipped without a URL", () => {
  const c = parse(["diagnose", "web-1", "-n", "shop", "--kubeconfig", "/k", "--context", "prod"]);
  assert.equal(c.kind, "diagnose");
  if (c.kind !== "diagnose") return;
  assert.equal(c.pod, "web-1");
  assert.deepEqual(c.global, { kubeconfig: "/k", context: "prod", namespace: "shop", output: "table", requestTimeoutMs: 15_000 });
  assert.deepEqual(c.nmi, { namespace: "podid-system", selector: "app.kubernetes.io/name=podid-nmi" });
  assert.equal(c.mic, undefined);
  assert.match(c.micSkipReason ?? "", /no --mic-url/);
  assert.deepEqual([c.tailLines, c.logLines], [1000, 10]);
});

test("options may come before the command; pod/<name> is accepted; -o json", () => {
  const c = parse(["-n", "shop", "-o", "json", "diagnose", "pod/web-1", "--tail", "50", "--log-lines", "3", "--nmi-namespace", "kube-system", "--nmi-selector", "app=nmi"]);
  assert.equal(c.kind, "diagnose");
  if (c.kind !== "diagnose") return;
  assert.equal(c.pod, "web-1");
  assert.equal(c.global.output, "json");
  assert.equal(c.global.namespace, "shop");
  assert.deepEqual([c.tailLines, c.logLines], [50, 3]);
  assert.deepEqual(c.nmi, { namespace: "kube-system", selector: "app=nmi" });
});

test("MIC options from flags, else from env; --cluster required with a URL", () => {
  const a = parse(["diagnose", "p", "--mic-url", "https://mic.example", "--cluster", "c1", "--mic-key", "k"]);
  assert.ok(a.kind === "diagnose" && a.mic);
  assert.deepEqual(a.kind === "diagnose" ? a.mic : undefined, { url: "https://mic.example", cluster: "c1", key: "k" });
  const b = parse(["status"], { PODID_MIC_URL: "http://127.0.0.1:7071", PODID_CLUSTER: "sandbox", PODID_MIC_KEY: "fk" });
  assert.deepEqual(b.kind === "status" ? b.mic : undefined, { url: "http://127.0.0.1:7071", cluster: "sandbox", key: "fk" });
  const c = parse(["status", "--mic-url", "http://m", "--cluster", "x"], { PODID_MIC_KEY: "" });
  assert.deepEqual(c.kind === "status" ? c.mic : undefined, { url: "http://m", cluster: "x" });
  usage(["status", "--mic-url", "http://m"], /--cluster .* is required/);
  usage(["status", "--mic-url", "ftp://m", "--cluster", "x"], /http\(s\) URL/);
  usage(["status", "--mic-url", "not a url", "--cluster", "x"], /is not a URL/);
});

test("token: --resource required, one of --client-id/--resource-id, --nmi-url/--nmi-port validated", () => {
  const c = parse(["token", "web-1", "--resource", "https://vault.azure.net", "--client-id", "cid", "--nmi-url", "http://127.0.0.1:2579", "--show-token"]);
  assert.deepEqual(c.kind === "token" ? [c.pod, c.resource, c.clientId, c.nmiUrl, c.showToken] : [], ["web-1", "https://vault.azure.net", "cid", "http://127.0.0.1:2579", true]);
  const d = parse(["token", "web-1", "--resource", "r", "--resource-id", "/subscriptions/x", "--nmi-port", "8080"]);
  assert.deepEqual(d.kind === "token" ? [d.resourceId, d.nmiPort, d.showToken, d.clientId] : [], ["/subscriptions/x", 8080, false, undefined]);
  usage(["token", "web-1"], /--resource is required/);
  usage(["token", "web-1", "--resource", "r", "--client-id", "a", "--resource-id", "b"], /at most one/);
  usage(["token", "web-1", "--resource", "r", "--nmi-port", "99999"], /port number/);
});

test("help: no command, `help`, `help <cmd>`, -h anywhere", () => {
  assert.deepEqual(parse([]), { kind: "help" });
  assert.deepEqual(parse(["-h"]), { kind: "help" });
  assert.deepEqual(parse(["help", "token"]), { kind: "help", topic: "token" });
  assert.deepEqual(parse(["diagnose", "-h"]), { kind: "help", topic: "diagnose" });
  assert.deepEqual(parse(["status", "--help"]), { kind: "help", topic: "status" });
  assert.deepEqual(parse(["help", "nonsense"]), { kind: "help" });
});

test("usage errors: unknown command, unknown option, option of another command, missing/extra pod, bad values", () => {
  usage(["frobnicate"], /unknown command "frobnicate"/);
  usage(["diagnose", "p", "--bogus"], /Unknown option '--bogus'/);
  usage(["status", "--resource", "r"], /--resource is not an option of "podid status"/);
  usage(["diagnose", "p", "--show-token"], /--show-token is not an option of "podid diagnose"/);
  usage(["diagnose"], /a pod name is required/);
  usage(["diagnose", "a", "b"], /expected one pod name, got 2/);
  usage(["status", "extra"], /unexpected argument "extra"/);
  usage(["diagnose", "p", "-o", "yaml"], /must be "json" or "table"/);
  usage(["diagnose", "p", "--tail", "0"], /--tail must be a positive integer/);
  usage(["diagnose", "p", "-n", ""], /must not be empty/);
  usage(["diagnose", "p", "--kubeconfig"], /argument missing/);
});

test("--request-timeout accepts kubectl-style durations", () => {
  assert.equal(duration("15s"), 15_000);
  assert.equal(duration("500ms"), 500);
  assert.equal(duration("2m"), 120_000);
  assert.equal(duration("3"), 3000);
  assert.throws(() => duration("soon"), UsageError);
  assert.throws(() => duration("0"), UsageError);
  const c = parse(["status", "--request-timeout", "2s"]);
  assert.equal(c.kind === "status" ? c.global.requestTimeoutMs : 0, 2000);
});
