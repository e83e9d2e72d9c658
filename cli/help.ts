// Help texts. The program name follows how it was invoked: `kubectl podid` as a plugin.
import { DEFAULT_NMI_NAMESPACE, DEFAULT_NMI_SELECTOR, type CommandName } from "./args.ts";

const GLOBAL = `Global options:
  --kubeconfig <file>        kubeconfig file (default: KUBECONFIG, then ~/.kube/config)
  --context <name>           kubeconfig context (default: the current context)
  -n, --namespace <ns>       pod namespace (default: the context's namespace, else "default")
  -o, --output table|json    output format (default: table)
  --request-timeout <d>      per-request timeout, e.g. 15s, 500ms (default: 15s)
  -h, --help                 show help`;

const NMI = `  --nmi-namespace <ns>       namespace of the NMI DaemonSet (default: ${DEFAULT_NMI_NAMESPACE})
  --nmi-selector <sel>       label selector of NMI pods (default: ${DEFAULT_NMI_SELECTOR})`;

const MIC = `  --mic-url <url>            function app URL of the MIC (env PODID_MIC_URL); without it the MIC view is skipped
  --cluster <name>           cluster name the MIC knows this cluster by (env PODID_CLUSTER)
  --mic-key <key>            function key, sent as x-functions-key (env PODID_MIC_KEY)`;

export function helpText(prog: string, topic?: CommandName): string {
  switch (topic) {
    case "diagnose":
      return `Usage: ${prog} diagnose <pod> [-n <ns>] [options]

Explains why a pod does or does not get its Azure identity: the pod's node and IP, the NMI on
that node, the bindings and identities that select it (and why others were rejected),
exceptions, its AzureAssignedIdentities, the MIC's view of the host, and NMI's recent log lines
for the pod. Ends with a one-line verdict and the next step.

Exit code: 0 healthy, 1 problem found, 2 usage or connection error.

Options:
${NMI}
${MIC}
  --tail <n>                 NMI log lines to read (default: 1000)
  --log-lines <n>            NMI log lines about the pod to show (default: 10)

${GLOBAL}
`;
    case "status":
      return `Usage: ${prog} status [options]

Per host (scale set or VM): desired vs assigned identities, pending work and the last error,
from the MIC's status API; plus AzureAssignedIdentity counts (Assigned/Created/Failed/
Unassigned) per node and host from the cluster.

Exit code: 0 no errors, 1 a host has an error or Failed assignments, 2 usage or connection error.

Options:
${MIC}

${GLOBAL}
`;
    case "token":
      return `Usage: ${prog} token <pod> --resource <uri> [--client-id <id> | --resource-id <id>] [options]

Requests a token exactly as the pod would get it, from the NMI on the pod's node (its
/host/token/ endpoint, with headers podns/podname), and prints the identity (client id,
redacted), audience and expiry. The token itself is printed only with --show-token.

NMI serves /host/token/ only to callers on the node's loopback, and in production its token
port listens on 127.0.0.1, so the default route (the API server's pod proxy) reaches it only
where NMI listens on the pod IP (the sandbox). Otherwise forward the port first:
  kubectl -n ${DEFAULT_NMI_NAMESPACE} port-forward pod/<nmi-pod> 2579:2579
  ${prog} token <pod> --resource <uri> --nmi-url http://127.0.0.1:2579

Exit code: 0 token issued, 1 NMI refused, 2 usage or connection error.

Options:
  --resource <uri>           resource (audience) to request, e.g. https://vault.azure.net
  --client-id <id>           request this identity's client id (as client_id)
  --resource-id <id>         request this identity's resource id (as msi_res_id)
  --nmi-url <url>            talk to NMI directly instead of through the API server
  --nmi-port <port>          NMI token port for the pod proxy (default: from the NMI pod, else 2579)
${NMI}
  --show-token               also print the access token

${GLOBAL}
`;
    default:
      return `Usage: ${prog} <command> [options]

Diagnose Azure AD pod identity (podid) for pods in a cluster.

Commands:
  diagnose <pod>             explain whether and why a pod gets its identity
  status                     per-host assignment state from the MIC and the cluster
  token <pod> --resource <uri>
                             request a token as the pod would (printed only with --show-token)

Run '${prog} <command> --help' for a command's options.

${GLOBAL}
`;
  }
}
