// The short guide `npm start` prints once everything is up: what runs where, then what to try.
import { relative } from "node:path";
import type { Sandbox } from "./system-sandbox.ts";

export function sandboxGuide(s: Sandbox, startupMs: number, cwd = process.cwd()): string {
  const rel = (p: string): string => {
    const r = relative(cwd, p);
    return r.startsWith("..") ? p : r;
  };
  const { info } = s;
  const sys = s.system;
  const lines = [
    `podid sandbox is up in ${(startupMs / 1000).toFixed(1)} s — cluster "${info.cluster}", everything on loopback:`,
    `  kube-apiserver   ${info.kubeUrl}  (podid CRDs, forwarder in podid-system)`,
    `  Service Bus      ${sys.peers.serviceBus.connectionString().replace(/SharedAccessKey=[^;]+/, "SharedAccessKey=…")}`,
    `  ARM / Entra ID   ${sys.peers.arm.url} / ${sys.peers.entra.url}`,
    `  MIC function app on the durable host (state in Azurite), HTTP API ${info.mic.url}/api`,
    ...info.nodes.map((n) => `  node ${n.name}: NMI ${n.nmiUrl}, IMDS ${n.imdsUrl}, pods ${n.podRange}`),
  ];
  if (s.demo) {
    lines.push(
      "",
      `Demo in namespace "${s.demo.namespace}": ${s.demo.pods.map((p) => p.name).join(", ")}.`,
      "  web-*, api-0   get tokens for their identities through their node's NMI;",
      "  batch-0        asks for selector \"batch\", which no AzureIdentityBinding has;",
      "  reports-0      is bound to reports-identity, which ARM refuses to assign (LinkedAuthorizationFailed).",
    );
  }
  lines.push(
    "",
    "In another shell:",
    `  source ${rel(s.files.env)}                 # KUBECONFIG, PODID_MIC_URL, PODID_MIC_KEY, PODID_CLUSTER`,
    "  npm run -s podid -- status",
    "  npm run -s podid -- diagnose reports-0",
    "  npm run -s podid -- token web-0 --resource https://vault.azure.net",
    "  kubectl get azureassignedidentities -o wide",
    "Add a pod and watch it get a token here (the sandbox schedules it and runs its app):",
    "  kubectl run api-1 --image=app --labels=aadpodidbinding=api",
    `  kubectl logs -n podid-system ${info.nodes[0]?.nmiPod ?? "podid-nmi-…"}      # an NMI's log`,
    `Logs of every component: ${rel(info.logFile)}. Ctrl-C stops everything and removes ${rel(info.kubeconfig).replace(/\/?kubeconfig$/, "") || "the state dir"}.`,
    "",
  );
  return lines.join("\n");
}
