// Kubernetes API server peer: client-node, kubectl and the podid forwarder talk to it as to a
// real cluster (discovery, CRUD, status subresource, patches, finalizers, list/watch).
export { DEFAULT_CRD_DIR, startKubePeer } from "./server.ts";
export { kubeConfigFor, writeKubeconfig } from "./kubeconfig.ts";
export { parseFieldSelector, parseLabelSelector, matchesLabels, matchesFields, SelectorError } from "./selectors.ts";
export type { FieldRequirement, LabelRequirement, LabelOp } from "./selectors.ts";
export type {
  AuthorizeFn, InjectedError, KubeMeta, KubeObject, KubePeer, RequestAttributes, RequestLogEntry,
  StartKubePeerOptions, UserInfo,
} from "./types.ts";
