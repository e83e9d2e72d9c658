// Service Bus namespace with the two podid queues (DESIGN §4.2). Sessions give per-cluster
// order and a single writer; duplicate detection drops resends (messageId = object version).
// Both flags are fixed at queue creation: changing them means recreating the queue.
import { forwarderAuthType, queueSettingsType } from '../types.bicep'

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Namespace name (6-50 characters).')
@minLength(6)
@maxLength(50)
param namespaceName string

@description('Queue names: forwarder → MIC events, MIC → forwarder commands.')
param queueNames {
  @description('Queue the forwarder sends to and the MIC receives from.')
  events: string
  @description('Queue the MIC sends to and the forwarder receives from.')
  commands: string
}

@description('Settings of both queues.')
param queueSettings queueSettingsType

@description('sas: create SAS rules for the forwarder; entraId: no SAS at all (local auth disabled on the namespace).')
param forwarderAuth forwarderAuthType

@description('With sas: also create a namespace-level rule (Send + Listen) for forwarders that take one connection string for both queues.')
param forwarderNamespaceRule bool

var sas = forwarderAuth == 'sas'
var ruleNames = {
  eventsSend: 'podid-forwarder-send'
  commandsListen: 'podid-forwarder-listen'
  namespace: 'podid-forwarder'
}

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: namespaceName
  location: location
  tags: tags
  sku: {
    // Sessions and duplicate detection need Standard or Premium.
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    minimumTlsVersion: '1.2'
    disableLocalAuth: !sas
    publicNetworkAccess: 'Enabled'
  }
}

var queueProperties = {
  requiresSession: true
  requiresDuplicateDetection: true
  duplicateDetectionHistoryTimeWindow: queueSettings.duplicateDetectionHistoryTimeWindow
  maxDeliveryCount: queueSettings.maxDeliveryCount
  deadLetteringOnMessageExpiration: true
  lockDuration: queueSettings.lockDuration
  defaultMessageTimeToLive: queueSettings.defaultMessageTimeToLive
  enablePartitioning: false
  enableBatchedOperations: true
}

resource eventsQueue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {
  parent: namespace
  name: queueNames.events
  properties: queueProperties
}

resource commandsQueue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {
  parent: namespace
  name: queueNames.commands
  properties: queueProperties
}

// Least privilege per queue: the forwarder may only send events and only receive commands.
resource eventsSendRule 'Microsoft.ServiceBus/namespaces/queues/authorizationRules@2024-01-01' = if (sas) {
  parent: eventsQueue
  name: ruleNames.eventsSend
  properties: {
    rights: [
      'Send'
    ]
  }
}

resource commandsListenRule 'Microsoft.ServiceBus/namespaces/queues/authorizationRules@2024-01-01' = if (sas) {
  parent: commandsQueue
  name: ruleNames.commandsListen
  properties: {
    rights: [
      'Listen'
    ]
  }
}

// A queue-level key only opens its own queue, and a connection string can carry one key; a
// forwarder configured with a single connection string therefore needs this broader rule.
resource forwarderNamespaceSasRule 'Microsoft.ServiceBus/namespaces/AuthorizationRules@2024-01-01' = if (sas && forwarderNamespaceRule) {
  parent: namespace
  name: ruleNames.namespace
  properties: {
    rights: [
      'Send'
      'Listen'
    ]
  }
}

@description('Namespace name.')
output namespaceName string = namespace.name

// From the endpoint (https://<name>.<cloud suffix>:443/), so sovereign clouds get their suffix.
@description('Fully qualified namespace host name.')
output fullyQualifiedNamespace string = split(replace(namespace.properties.serviceBusEndpoint, 'https://', ''), ':')[0]

@description('Events queue name.')
output eventsQueueName string = eventsQueue.name

@description('Commands queue name.')
output commandsQueueName string = commandsQueue.name

@description('Names of the forwarder\'s SAS rules (keys are never output: fetch them with az servicebus ... authorization-rule keys list).')
output forwarderSasRules {
  @description('Queue-level Send rule on the events queue ("" without SAS).')
  eventsSend: string
  @description('Queue-level Listen rule on the commands queue ("" without SAS).')
  commandsListen: string
  @description('Namespace-level Send+Listen rule ("" when not created).')
  namespace: string
} = {
  eventsSend: sas ? ruleNames.eventsSend : ''
  commandsListen: sas ? ruleNames.commandsListen : ''
  namespace: sas && forwarderNamespaceRule ? ruleNames.namespace : ''
}
