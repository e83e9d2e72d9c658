// Role assignments in bicep/: the right built-in roles (GUIDs pinned here, checked against
// Microsoft's built-in roles list), idempotent guid() names, GA api version, and each role on
// exactly the scope DESIGN §8 allows.
import assert from "node:assert/strict";
import { test } from "node:test";
import { deepTokens, render } from "../../helpers/deploy/bicep-lexer.ts";
import { exprText, ForLoop, isObjectValue, parseValue, stringHead } from "../../helpers/deploy/bicep-parse.ts";
import { bodyValue, declaration, decls, file, loadAll, rel } from "../../helpers/deploy/bicep-files.ts";

// Reviewed 2026-11-28 against the Azure built-in roles reference (role name → role definition
// GUID; the same in every tenant).
const BUILT_IN_ROLES: Record<string, { role: string; guid: string }> = {
  storageBlobDataOwner: { role: "Storage Blob Data Owner", guid: "b7e6dc6d-f1e8-4753-8033-0f276bb0955b" },
  storageQueueDataContributor: { role: "Storage Queue Data Contributor", guid: "974c5e8b-45b9-4653-ba55-5f855dd0fb88" },
  storageTableDataContributor: { role: "Storage Table Data Contributor", guid: "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3" },
  serviceBusDataReceiver: { role: "Azure Service Bus Data Receiver", guid: "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0" },
  serviceBusDataSender: { role: "Azure Service Bus Data Sender", guid: "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39" },
  virtualMachineContributor: { role: "Virtual Machine Contributor", guid: "9980e02c-c2be-4d73-94e8-173b1dc7cf3c" },
  managedIdentityOperator: { role: "Managed Identity Operator", guid: "f1a07417-d97a-45cb-824c-7a7467783830" },
  monitoringMetricsPublisher: { role: "Monitoring Metrics Publisher", guid: "3913510d-42f4-4e42-8a64-420c390055eb" },
};

const all = loadAll();
const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
const expr = exprText;

test("builtInRoles (bicep/modules/roles.bicep) holds exactly the reviewed role GUIDs", () => {
  const v = parseValue(declaration(file(all, "bicep/modules/roles.bicep"), "builtInRoles").value);
  assert.ok(isObjectValue(v));
  assert.deepEqual(v, Object.fromEntries(Object.entries(BUILT_IN_ROLES).map(([k, r]) => [k, r.guid])));
});

test("no role GUID is written anywhere else: every assignment goes through builtInRoles", () => {
  for (const f of all.filter((x) => rel(x) !== "bicep/modules/roles.bicep")) {
    for (const t of deepTokens(f.tokens)) {
      if (t.kind === "string") assert.doesNotMatch(t.text, GUID, `${rel(f)}:${t.line}`);
    }
  }
});

test("every role assignment: GA api version, deterministic guid() name, built-in role, service principal", () => {
  let count = 0;
  for (const f of all) {
    for (const d of decls(f, "resource").filter((x) => stringHead(x)?.startsWith("Microsoft.Authorization/roleAssignments@"))) {
      count++;
      assert.equal(stringHead(d), "Microsoft.Authorization/roleAssignments@2022-04-01");
      const body = bodyValue(d);
      assert.match(expr(body.name), /^guid \(/, `${rel(f)} ${d.name}: name must be guid(...)`);
      const props = body.properties;
      assert.ok(isObjectValue(props));
      assert.match(expr(props.roleDefinitionId), /^subscriptionResourceId \( 'Microsoft\.Authorization\/roleDefinitions' , (role|roleId|builtInRoles \. \w+) \)$/, `${d.name}`);
      assert.equal(props.principalType, "ServicePrincipal");
      // The name includes the principal and the role, so a re-deploy updates nothing.
      assert.match(expr(body.name), /principalId/);
      assert.match(expr(body.name), /role|builtInRoles/i);
    }
  }
  assert.ok(count >= 6, `found ${count} role assignments`);
});

test("the MIC's data roles: storage roles on the account, Receiver on mic-events and Sender on mic-commands only", () => {
  const f = file(all, "bicep/modules/mic-data-roles.bicep");
  const storageRoles = parseValue(declaration(f, "storageRoles").value);
  assert.ok(Array.isArray(storageRoles));
  assert.deepEqual(storageRoles.map(expr), [
    "builtInRoles . storageBlobDataOwner", "builtInRoles . storageQueueDataContributor", "builtInRoles . storageTableDataContributor",
  ]);
  const scopeAndRole = (name: string) => {
    const b = bodyValue(declaration(f, name));
    return `${expr(b.scope)} ${expr(isObjectValue(b.properties) ? b.properties.roleDefinitionId : undefined)}`;
  };
  assert.match(scopeAndRole("storageRoleAssignments"), /^storage subscriptionResourceId .* role \)$/);
  assert.match(scopeAndRole("eventsReceiver"), /^eventsQueue .*builtInRoles \. serviceBusDataReceiver \)$/);
  assert.match(scopeAndRole("commandsSender"), /^commandsQueue .*builtInRoles \. serviceBusDataSender \)$/);
  assert.match(scopeAndRole("telemetryPublisher"), /^appInsights .*builtInRoles \. monitoringMetricsPublisher \)$/);
  const queue = (n: string) => expr(bodyValue(declaration(f, n)).name);
  assert.match(queue("eventsQueue"), /eventsQueueName/);
  assert.match(queue("commandsQueue"), /commandsQueueName/);
});

test("the forwarder's Entra roles are the mirror image: Sender on mic-events, Receiver on mic-commands", () => {
  const f = file(all, "bicep/modules/forwarder-roles.bicep");
  const b = (n: string) => bodyValue(declaration(f, n));
  const role = (n: string) => { const p = b(n).properties; return expr(isObjectValue(p) ? p.roleDefinitionId : undefined); };
  assert.equal(expr(b("eventsSender").scope), "eventsQueue");
  assert.match(role("eventsSender"), /serviceBusDataSender/);
  assert.equal(expr(b("commandsReceiver").scope), "commandsQueue");
  assert.match(role("commandsReceiver"), /serviceBusDataReceiver/);
  const main = file(all, "bicep/main.bicep");
  assert.match(render(declaration(main, "forwarderRoles").value), /^if \( forwarderAuth == 'entraId' \)/);
  // The roles go to the identity the template creates, unless the user brings a principal.
  assert.match(render(declaration(main, "forwarderRoles").value), /principalId : createForwarderIdentity \? forwarderIdentity \. outputs \. principalId : forwarderPrincipalId/);
});

test("Entra ID for the forwarder: a user-assigned identity federated with exactly the forwarder's service account", () => {
  const main = file(all, "bicep/main.bicep");
  assert.equal(render(declaration(main, "createForwarderIdentity").value), "forwarderAuth == 'entraId' && empty ( forwarderPrincipalId )");
  const call = bodyValue(declaration(main, "forwarderIdentity"));
  const params = call.params;
  assert.ok(isObjectValue(params));
  // The service account infra/ installs the forwarder with (test/integration/deploy checks the manifests).
  assert.equal(params.serviceAccountNamespace, "podid-system");
  assert.equal(params.serviceAccountName, "podid-forwarder");
  assert.equal(expr(params.oidcIssuerUrl), "forwarderOidcIssuerUrl");
  const f = file(all, "bicep/modules/forwarder-identity.bicep");
  const fic = bodyValue(declaration(f, "federation")).properties;
  assert.ok(isObjectValue(fic));
  assert.deepEqual(fic.audiences, ["api://AzureADTokenExchange"]);
  assert.equal(expr(fic.issuer), "oidcIssuerUrl");
  assert.match(render(declaration(f, "federation").value), /subject : 'system:serviceaccount:\$\{serviceAccountNamespace\}:\$\{serviceAccountName\}'/);
  assert.ok(main.declarations.some((d) => d.keyword === "output" && d.name === "forwarderClientId"), "the client id is an output (for the service account annotation)");
});

test("Virtual Machine Contributor on each node resource group, Managed Identity Operator on each identity resource group — nothing broader", () => {
  const main = file(all, "bicep/main.bicep");
  const cases = [
    { module: "nodeResourceGroupRoles", list: "nodeResourceGroups", role: "virtualMachineContributor" },
    { module: "identityResourceGroupRoles", list: "allowedIdentityResourceGroups", role: "managedIdentityOperator" },
  ];
  for (const c of cases) {
    const d = declaration(main, c.module);
    assert.equal(stringHead(d), "modules/resource-group-role.bicep");
    const v = parseValue(d.value);
    assert.ok(v instanceof ForLoop, `${c.module} loops`);
    assert.match(v.head, new RegExp(`in ${c.list}$`));
    const body = bodyValue(d);
    assert.match(expr(body.scope), /^resourceGroup \( g \.\? subscriptionId \?\? subscription \( \) \. subscriptionId , g \. resourceGroupName \)$/);
    assert.ok(isObjectValue(body.params));
    assert.equal(body.params.role, c.role);
    assert.equal(expr(body.params.principalId), "functionApp . outputs . principalId");
  }
  // The resource-group module assigns at its own scope (no `scope:` override) and nowhere else
  // do these two roles appear.
  const rg = file(all, "bicep/modules/resource-group-role.bicep");
  assert.equal(bodyValue(declaration(rg, "assignment")).scope, undefined);
  for (const f of all.filter((x) => !["bicep/modules/roles.bicep", "bicep/modules/resource-group-role.bicep"].includes(rel(x)))) {
    const text = [...deepTokens(f.tokens)].map((t) => t.text).join(" ");
    assert.doesNotMatch(text.replace(/role : virtualMachineContributor|role : managedIdentityOperator/g, ""), /builtInRoles \. (virtualMachineContributor|managedIdentityOperator)/, rel(f));
  }
});
