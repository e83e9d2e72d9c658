// Kubeconfigs pointing at a peer: a file for kubectl and the sandbox, or a client-node
// KubeConfig built in memory for tests.
import { writeFileSync } from "node:fs";
import { KubeConfig } from "@kubernetes/client-node";
import { stringify } from "yaml";

const NAME = "podid-sandbox";

/** Writes a kubeconfig for `url` (mode 0600: it may hold a token). Over https, `caFile`
 *  verifies the server; client-go sends tokens only over https. Loadable by kubectl and by
 *  client-node's `loadFromFile`. */
export function writeKubeconfig(path: string, url: string, token?: string, caFile?: string): void {
  const user: Record<string, string> = token === undefined ? {} : { token };
  const cluster: Record<string, string | boolean> = { server: url };
  if (caFile !== undefined) cluster["certificate-authority"] = caFile;
  // client-node refuses plain http unless TLS verification is "skipped"; kubectl ignores it.
  if (url.startsWith("http:")) cluster["insecure-skip-tls-verify"] = true;
  writeFileSync(path, stringify({
    apiVersion: "v1", kind: "Config", "current-context": NAME,
    clusters: [{ name: NAME, cluster }],
    users: [{ name: NAME, user }],
    contexts: [{ name: NAME, context: { cluster: NAME, user: NAME, namespace: "default" } }],
  }), { mode: 0o600 });
}

/** A KubeConfig for a peer: verifies its certificate with `peer.caCertPath` when there is one. */
export function kubeConfigFor(peer: { url: string; caCertPath?: string }, token?: string): KubeConfig {
  const kc = new KubeConfig();
  const cluster = peer.caCertPath === undefined
    ? { name: NAME, server: peer.url, skipTLSVerify: true }
    : { name: NAME, server: peer.url, caFile: peer.caCertPath, skipTLSVerify: false };
  kc.loadFromOptions({
    clusters: [cluster],
    users: [token === undefined ? { name: NAME } : { name: NAME, token }],
    contexts: [{ name: NAME, cluster: NAME, user: NAME, namespace: "default" }],
    currentContext: NAME,
  });
  return kc;
}
