// The CLI as a function: argv + injected I/O → exit code. main.ts wires it to the process;
// tests call it in-process.
import { parseCommandLine, type Command, type Env, type GlobalOptions } from "./args.ts";
import { CliError, EXIT, errorMessage, UsageError } from "./errors.ts";
import { helpText } from "./help.ts";
import { createKubeApi, type KubeApi } from "./kube/api.ts";
import { loadKubeTarget } from "./kube/config.ts";
import { listAssignedIdentities, listNodes } from "./kube/reads.ts";
import { gatherDiagnosis } from "./diagnose/gather.ts";
import { renderDiagnosis } from "./diagnose/render.ts";
import { diagnoseVerdict } from "./diagnose/verdict.ts";
import { fetchMicStatus, type MicStatus } from "./mic/status-client.ts";
import type { MicOptions } from "./args.ts";
import { buildStatusReport } from "./status/report.ts";
import { renderStatus } from "./status/render.ts";
import { requestToken } from "./token/request.ts";
import { renderToken } from "./token/render.ts";

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Env;
  /** Program name for help (`podid`, or `kubectl podid` when run as a plugin). */
  prog?: string;
  /** Replaces the MIC HTTP client (tests). */
  fetchMic?: (o: MicOptions, timeoutMs: number) => Promise<MicStatus>;
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const prog = io.prog ?? "podid";
  let command: Command | undefined;
  try {
    command = parseCommandLine(argv, io.env);
    if (command.kind === "help") {
      io.stdout(helpText(prog, command.topic));
      return EXIT.ok;
    }
    return await execute(command, io);
  } catch (err) {
    if (err instanceof CliError) {
      io.stderr(`error: ${err.message}\n${err.hint === undefined ? "" : `hint: ${err.hint}\n`}`);
      if (err instanceof UsageError && err.command === undefined && command === undefined && argv.length === 0) io.stderr(helpText(prog));
      return err.exitCode;
    }
    io.stderr(`error: ${errorMessage(err)}\n`);
    return EXIT.usage;
  }
}

function kubeApi(g: GlobalOptions, env: Env): KubeApi {
  const target = loadKubeTarget({
    ...(g.kubeconfig === undefined ? {} : { kubeconfig: g.kubeconfig }),
    ...(g.context === undefined ? {} : { context: g.context }),
    ...(g.namespace === undefined ? {} : { namespace: g.namespace }),
  }, env);
  return createKubeApi(target, g.requestTimeoutMs);
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

async function execute(c: Exclude<Command, { kind: "help" }>, io: CliIo): Promise<number> {
  const api = kubeApi(c.global, io.env);
  const namespace = api.target.namespace;
  switch (c.kind) {
    case "diagnose": {
      const facts = await gatherDiagnosis(api, {
        namespace, pod: c.pod, nmi: c.nmi, tailLines: c.tailLines, logLines: c.logLines, timeoutMs: c.global.requestTimeoutMs,
        ...(c.mic ? { mic: c.mic } : {}), ...(c.micSkipReason === undefined ? {} : { micSkipReason: c.micSkipReason }),
        ...(io.fetchMic ? { fetchMic: io.fetchMic } : {}),
      });
      const v = diagnoseVerdict(facts);
      io.stdout(c.global.output === "json" ? json({ ...facts, verdict: v }) : renderDiagnosis(facts, v));
      return v.exitCode;
    }
    case "status": {
      const [nodes, assigned, status] = await Promise.all([
        listNodes(api),
        listAssignedIdentities(api),
        c.mic ? (io.fetchMic ?? fetchMicStatus)(c.mic, c.global.requestTimeoutMs) : Promise.resolve(undefined),
      ]);
      const report = buildStatusReport({
        nodes, assigned,
        mic: c.mic && status ? { state: "ok", cluster: c.mic.cluster, status } : { state: "skipped", reason: c.micSkipReason ?? "no MIC URL" },
      });
      io.stdout(c.global.output === "json" ? json(report) : renderStatus(report));
      return report.problems.length > 0 ? EXIT.problem : EXIT.ok;
    }
    case "token": {
      const result = await requestToken(api, {
        namespace, pod: c.pod, resource: c.resource, nmi: c.nmi, showToken: c.showToken, timeoutMs: c.global.requestTimeoutMs,
        ...(c.clientId === undefined ? {} : { clientId: c.clientId }),
        ...(c.resourceId === undefined ? {} : { resourceId: c.resourceId }),
        ...(c.nmiUrl === undefined ? {} : { nmiUrl: c.nmiUrl }),
        ...(c.nmiPort === undefined ? {} : { nmiPort: c.nmiPort }),
      });
      io.stdout(c.global.output === "json" ? json(result) : renderToken(result));
      return EXIT.ok;
    }
  }
}
