// One role assignment at resource-group scope; main.bicep deploys it into other resource
// groups (and subscriptions) with `scope: resourceGroup(...)`: the node resource group(s) and
// the resource groups of the identities podid may assign.
import { builtInRoles } from 'roles.bicep'

@description('Object ID of the principal that gets the role.')
param principalId string

@description('Which role: the MIC writes VMs/VMSS (node resource groups) and assigns identities (identity resource groups).')
param role 'virtualMachineContributor' | 'managedIdentityOperator'

@description('Why the assignment exists (shown in the portal).')
param assignmentDescription string

var roleId = builtInRoles[role]

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, principalId, roleId)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
    description: assignmentDescription
  }
}

@description('Role assignment resource ID.')
output id string = assignment.id
