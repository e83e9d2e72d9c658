// podid — Azure side: the MIC (function app on Flex Consumption), its storage, Service Bus
// queues to the cluster, monitoring, and the least-privilege role assignments it needs.
// Deploy into a resource group: az deployment group create -g <rg> -f bicep/main.bicep -p ...
// (docs/deploy.md). Outputs hold everything the cluster install needs and no secret.
import { flexScaleType, forwarderAuthType, queueSettingsType, resourceGroupRefType } from 'types.bicep'

targetScope = 'resourceGroup'

// ---------- where and what ----------

@description('Azure region of every resource. Default: the resource group\'s region (must offer Flex Consumption).')
param location string = resourceGroup().location

@description('Short name used in resource names (lowercase letters, digits and hyphens).')
@minLength(2)
@maxLength(16)
param baseName string = 'podid'

@description('Name of the AKS cluster this deployment serves; the forwarder\'s PODID_CLUSTER_NAME (Service Bus session id and state partition).')
@minLength(1)
@maxLength(63)
param clusterName string

@description('Tags applied to every resource.')
param tags object = {}

// ---------- what the MIC may touch (scope guard and role assignments) ----------

@description('The cluster\'s node resource group(s) (AKS "MC_..." group): the MIC may update VMs/VMSS here only, and gets Virtual Machine Contributor on each.')
@minLength(1)
param nodeResourceGroups resourceGroupRefType[]

@description('Resource groups holding the user-assigned identities pods may use: the MIC may assign identities from these only, and gets Managed Identity Operator on each.')
param allowedIdentityResourceGroups resourceGroupRefType[] = []

@description('Identities podid never removes from a host (resource IDs or client IDs), e.g. the cluster\'s kubelet identity.')
param immutableIdentities string[] = []

@description('Treat every AzureIdentity as namespaced (bindings never cross namespaces).')
param forceNamespaced bool = false

// ---------- MIC runtime ----------

@description('Node.js major version of the function app.')
param nodeVersion '20' | '22' = '22'

@description('Flex Consumption instance memory and maximum scale-out.')
param scale flexScaleType = {
  instanceMemoryMB: 2048
  maximumInstanceCount: 40
}

@description('Durable Functions task hub name (letters and digits, starting with a letter).')
@minLength(3)
@maxLength(45)
param taskHubName string = 'podid'

@description('Azure Table holding the MIC\'s cluster state.')
@minLength(3)
@maxLength(63)
param stateTableName string = 'podidstate'

@description('NCRONTAB schedule of the MIC\'s resync timer (re-pokes hosts whose reconcile lags).')
param resyncSchedule string = '0 */5 * * * *'

@description('Azure Resource Manager endpoint the MIC calls. Default: this cloud\'s.')
param armEndpoint string = environment().resourceManager

@description('OAuth scope of ARM tokens. Default: this cloud\'s ARM audience.')
param armScope string = '${environment().resourceManager}.default'

@description('Extra app settings for the MIC (names the function app reads; merged last).')
param additionalAppSettings object = {}

// ---------- Service Bus and forwarder ----------

@description('Deliveries of a mic-events message before the broker dead-letters it. Low on purpose: the MIC rejects a malformed event by failing it, so this bounds its retries on the way to the dead-letter queue (docs/adr/0002-dead-lettering-in-micEvents.md).')
@minValue(1)
@maxValue(2000)
param eventsMaxDeliveryCount int = 5

@description('Queue settings (both queues; maxDeliveryCount is mic-commands\', mic-events uses eventsMaxDeliveryCount).')
param queueSettings queueSettingsType = {
  maxDeliveryCount: 10
  duplicateDetectionHistoryTimeWindow: 'PT10M'
  lockDuration: 'PT1M'
  defaultMessageTimeToLive: 'P1D'
}

@description('How the forwarder authenticates to Service Bus: sas (queue-level SAS rules, one connection string per queue in a Kubernetes Secret) or entraId (forwarderPrincipalId gets data roles; SAS disabled).')
param forwarderAuth forwarderAuthType = 'sas'

@description('With forwarderAuth=entraId: object ID of a forwarder principal you manage yourself. Leave empty to let the template create one (needs forwarderOidcIssuerUrl).')
param forwarderPrincipalId string = ''

@description('With forwarderAuth=entraId and no forwarderPrincipalId: the AKS cluster\'s OIDC issuer URL; the template creates the forwarder\'s user-assigned identity, federated with the service account podid-system/podid-forwarder (AKS workload identity).')
param forwarderOidcIssuerUrl string = ''

// ---------- storage and monitoring ----------

@description('Storage redundancy of the function app\'s account.')
param storageSku 'Standard_LRS' | 'Standard_ZRS' = 'Standard_LRS'

@description('Days Log Analytics keeps podid\'s logs.')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 30

// ---------- names ----------

var suffix = take(uniqueString(resourceGroup().id, baseName), 6)
var allTags = union(tags, {
  'podid-cluster': clusterName
})
var queueNames = {
  events: 'mic-events'
  commands: 'mic-commands'
}
var functionAppName = 'func-${baseName}-${suffix}'
var deploymentContainerName = toLower('app-package-${take(functionAppName, 32)}')
var appInsightsName = 'appi-${baseName}-${suffix}'
var nodeResourceGroupIds = [for g in nodeResourceGroups: '/subscriptions/${g.?subscriptionId ?? subscription().subscriptionId}/resourceGroups/${g.resourceGroupName}']
var identityResourceGroupIds = [for g in allowedIdentityResourceGroups: '/subscriptions/${g.?subscriptionId ?? subscription().subscriptionId}/resourceGroups/${g.resourceGroupName}']

// ---------- resources ----------

module monitoring 'modules/monitoring.bicep' = {
  name: 'podid-monitoring'
  params: {
    location: location
    tags: allTags
    workspaceName: 'log-${baseName}-${suffix}'
    appInsightsName: appInsightsName
    retentionInDays: logRetentionInDays
  }
}

module storage 'modules/storage.bicep' = {
  name: 'podid-storage'
  params: {
    location: location
    tags: allTags
    name: take('st${replace(toLower(baseName), '-', '')}${suffix}', 24)
    skuName: storageSku
    deploymentContainerName: deploymentContainerName
    stateTableName: stateTableName
  }
}

module serviceBus 'modules/service-bus.bicep' = {
  name: 'podid-servicebus'
  params: {
    location: location
    tags: allTags
    namespaceName: 'sb-${baseName}-${suffix}'
    queueNames: queueNames
    queueSettings: queueSettings
    eventsMaxDeliveryCount: eventsMaxDeliveryCount
    forwarderAuth: forwarderAuth
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

// Every setting the MIC reads (test/unit/deploy/bicep-settings.test.ts collects the names from
// functions/ and checks them against this object).
var appSettings = union({
  AzureWebJobsStorage__accountName: storage.outputs.name
  AzureWebJobsStorage__credential: 'managedidentity'
  ServiceBusConnection__fullyQualifiedNamespace: serviceBus.outputs.fullyQualifiedNamespace
  ServiceBusConnection__credential: 'managedidentity'
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD'
  PODID_NODE_RESOURCE_GROUPS: join(nodeResourceGroupIds, ',')
  PODID_ALLOWED_IDENTITY_SCOPES: join(identityResourceGroupIds, ',')
  PODID_IMMUTABLE_IDENTITIES: join(immutableIdentities, ',')
  PODID_FORCE_NAMESPACED: string(forceNamespaced)
  PODID_ARM_ENDPOINT: armEndpoint
  PODID_ARM_SCOPE: armScope
  PODID_STATE_TABLE: storage.outputs.stateTableName
  PODID_TASK_HUB: taskHubName
  PODID_RESYNC_SCHEDULE: resyncSchedule
}, additionalAppSettings)

module functionApp 'modules/function-app.bicep' = {
  name: 'podid-functionapp'
  dependsOn: [
    monitoring
  ]
  params: {
    location: location
    tags: allTags
    name: functionAppName
    planName: 'plan-${baseName}-${suffix}'
    nodeVersion: nodeVersion
    scale: scale
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    appSettings: appSettings
  }
}

module micDataRoles 'modules/mic-data-roles.bicep' = {
  name: 'podid-mic-data-roles'
  params: {
    principalId: functionApp.outputs.principalId
    storageAccountName: storage.outputs.name
    serviceBusNamespaceName: serviceBus.outputs.namespaceName
    eventsQueueName: serviceBus.outputs.eventsQueueName
    commandsQueueName: serviceBus.outputs.commandsQueueName
    appInsightsName: monitoring.outputs.appInsightsName
  }
}

module nodeResourceGroupRoles 'modules/resource-group-role.bicep' = [for (g, i) in nodeResourceGroups: {
  name: 'podid-vm-contributor-${i}'
  scope: resourceGroup(g.?subscriptionId ?? subscription().subscriptionId, g.resourceGroupName)
  params: {
    principalId: functionApp.outputs.principalId
    role: 'virtualMachineContributor'
    assignmentDescription: 'podid MIC (${functionAppName}): add/remove user-assigned identities on the cluster ${clusterName} nodes'
  }
}]

module identityResourceGroupRoles 'modules/resource-group-role.bicep' = [for (g, i) in allowedIdentityResourceGroups: {
  name: 'podid-mi-operator-${i}'
  scope: resourceGroup(g.?subscriptionId ?? subscription().subscriptionId, g.resourceGroupName)
  params: {
    principalId: functionApp.outputs.principalId
    role: 'managedIdentityOperator'
    assignmentDescription: 'podid MIC (${functionAppName}): assign these identities to the cluster ${clusterName} nodes'
  }
}]

var createForwarderIdentity = forwarderAuth == 'entraId' && empty(forwarderPrincipalId)

module forwarderIdentity 'modules/forwarder-identity.bicep' = if (createForwarderIdentity) {
  name: 'podid-forwarder-identity'
  params: {
    location: location
    tags: allTags
    name: 'id-${baseName}-forwarder-${suffix}'
    oidcIssuerUrl: forwarderOidcIssuerUrl
    serviceAccountNamespace: 'podid-system'
    serviceAccountName: 'podid-forwarder'
  }
}

module forwarderRoles 'modules/forwarder-roles.bicep' = if (forwarderAuth == 'entraId') {
  name: 'podid-forwarder-roles'
  params: {
    principalId: createForwarderIdentity ? forwarderIdentity.outputs.principalId : forwarderPrincipalId
    serviceBusNamespaceName: serviceBus.outputs.namespaceName
    eventsQueueName: serviceBus.outputs.eventsQueueName
    commandsQueueName: serviceBus.outputs.commandsQueueName
  }
}

// ---------- outputs (no secrets: SAS keys are fetched with az, see docs/deploy.md) ----------

@description('Cluster name to put in the forwarder Secret (PODID_CLUSTER_NAME).')
output clusterName string = clusterName

@description('Service Bus namespace name (for az servicebus ... commands).')
output serviceBusNamespaceName string = serviceBus.outputs.namespaceName

@description('Service Bus host name (PODID_SERVICEBUS_NAMESPACE with Entra ID auth).')
output serviceBusFullyQualifiedNamespace string = serviceBus.outputs.fullyQualifiedNamespace

@description('Queue names: events (forwarder → MIC) and commands (MIC → forwarder).')
output queues object = {
  events: serviceBus.outputs.eventsQueueName
  commands: serviceBus.outputs.commandsQueueName
}

@description('Forwarder authentication mode.')
output forwarderAuth string = forwarderAuth

@description('With forwarderAuth=entraId and a template-created identity: its client ID, for the annotation azure.workload.identity/client-id on the forwarder\'s service account ("" otherwise).')
output forwarderClientId string = createForwarderIdentity ? forwarderIdentity.outputs.clientId : ''

@description('Names of the forwarder\'s queue-level SAS rules: eventsSend (Send on the events queue) and commandsListen (Listen on the commands queue); empty with Entra ID auth. Their connection strings (PODID_SERVICEBUS_EVENTS_CONNECTION_STRING / PODID_SERVICEBUS_COMMANDS_CONNECTION_STRING) are read with az servicebus queue authorization-rule keys list.')
output forwarderSasRules object = serviceBus.outputs.forwarderSasRules

@description('Function app (MIC) name, for func azure functionapp publish and az functionapp commands.')
output functionAppName string = functionApp.outputs.name

@description('Function app host name (status API: https://<host>/api/clusters/<cluster>/status).')
output functionAppHostName string = functionApp.outputs.defaultHostName

@description('Object ID of the MIC\'s system-assigned identity (holds the role assignments).')
output functionAppPrincipalId string = functionApp.outputs.principalId

@description('Storage account of the function app.')
output storageAccountName string = storage.outputs.name

@description('Log Analytics workspace with podid\'s logs and metrics.')
output logAnalyticsWorkspaceId string = monitoring.outputs.workspaceId
