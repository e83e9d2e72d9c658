// Kubernetes RBAC evaluated from rendered manifests (Roles, ClusterRoles and their bindings), as
// an authorize hook for the kube-apiserver peer. Follows the real authorizer for what podid's
// manifests use: subjects by ServiceAccount, RoleBinding scoped to its namespace, rules matched
// on verb, API group, resource[/subresource] and resourceNames; discovery open to every
// authenticated user (system:discovery); system:masters allowed everything.
import type { RequestAttributes } from "../../../sandbox/peers/kube/index.ts";
import type { K8sObject } from "./kubectl.ts";

export interface Rule { apiGroups?: string[]; resources?: string[]; verbs: string[]; resourceNames?: string[] }
interface RoleRef { kind: string; name: string }
interface Subject { kind: string; name: string; namespace?: string }

export interface Decision { allowed: boolean; reason: string }
export interface Grant { binding: string; role: string; rule: Rule; namespace?: string }

const DISCOVERY = [/^\/api\/?$/, /^\/apis(\/.*)?$/, /^\/version\/?$/, /^\/openapi\/.*/];

export const serviceAccountUser = (namespace: string, name: string): string => `system:serviceaccount:${namespace}:${name}`;

export class RbacPolicy {
  constructor(private readonly objects: K8sObject[]) {}

  private rules(kind: string, name: string, namespace: string | undefined): Rule[] {
    const role = this.objects.find((o) => o.kind === kind && o.metadata.name === name && (kind === "ClusterRole" || o.metadata.namespace === namespace));
    return (role?.rules as Rule[] | undefined) ?? [];
  }

  /** Every rule that applies to `user`, with the namespace it is limited to (RoleBindings). */
  grants(user: string, groups: string[] = []): Grant[] {
    const out: Grant[] = [];
    for (const b of this.objects.filter((o) => o.kind === "RoleBinding" || o.kind === "ClusterRoleBinding")) {
      const subjects = (b.subjects as Subject[] | undefined) ?? [];
      const matches = subjects.some((s) =>
        (s.kind === "ServiceAccount" && user === serviceAccountUser(s.namespace ?? b.metadata.namespace ?? "", s.name)) ||
        (s.kind === "User" && s.name === user) || (s.kind === "Group" && groups.includes(s.name)));
      if (!matches) continue;
      const ref = b.roleRef as RoleRef;
      const ns = b.kind === "RoleBinding" ? b.metadata.namespace : undefined;
      for (const rule of this.rules(ref.kind, ref.name, b.metadata.namespace)) {
        out.push({ binding: `${b.kind}/${b.metadata.name}`, role: `${ref.kind}/${ref.name}`, rule, ...(ns !== undefined ? { namespace: ns } : {}) });
      }
    }
    return out;
  }

  /** The grant that allows a request, if any. */
  match(a: RequestAttributes): Grant | undefined {
    const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
    return this.grants(a.user.username, a.user.groups).find((g) =>
      (g.namespace === undefined || g.namespace === a.namespace) &&
      (g.rule.verbs.includes(a.verb) || g.rule.verbs.includes("*")) &&
      ((g.rule.apiGroups ?? []).includes(a.group) || (g.rule.apiGroups ?? []).includes("*")) &&
      ((g.rule.resources ?? []).includes(resource) || (g.rule.resources ?? []).includes("*")) &&
      (g.rule.resourceNames === undefined || g.rule.resourceNames.length === 0 || (a.name !== "" && g.rule.resourceNames.includes(a.name))));
  }

  authorize(a: RequestAttributes): Decision {
    if (a.user.groups.includes("system:masters")) return { allowed: true, reason: "system:masters" };
    if (!a.resourceRequest) {
      const ok = a.verb === "get" && DISCOVERY.some((re) => re.test(a.path));
      return { allowed: ok, reason: ok ? "system:discovery" : `no rule allows ${a.verb} ${a.path}` };
    }
    const g = this.match(a);
    if (g) return { allowed: true, reason: `${g.binding} → ${g.role}` };
    const what = `${a.verb} ${a.group || "core"}/${a.resource}${a.subresource ? `/${a.subresource}` : ""}${a.name ? ` "${a.name}"` : ""}${a.namespace ? ` in ${a.namespace}` : " (cluster scope)"}`;
    return { allowed: false, reason: `${a.user.username} may not ${what}` };
  }
}

/** One line per request: who did what, allowed or not, and which grant allowed it. */
export interface AuditEntry { user: string; verb: string; resource: string; namespace: string; name: string; allowed: boolean; grant?: Grant }

export function auditingAuthorizer(policy: RbacPolicy, log: AuditEntry[]): (a: RequestAttributes) => Decision {
  return (a) => {
    const d = policy.authorize(a);
    if (a.resourceRequest && !a.user.groups.includes("system:masters")) {
      const grant = policy.match(a);
      log.push({
        user: a.user.username, verb: a.verb, resource: `${a.group || "core"}/${a.subresource ? `${a.resource}/${a.subresource}` : a.resource}`,
        namespace: a.namespace, name: a.name, allowed: d.allowed, ...(grant ? { grant } : {}),
      });
    }
    return d;
  };
}
