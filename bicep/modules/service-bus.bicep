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

@description('MaxDeliveryCount of the events queue (the commands queue uses queueSettings.maxDeliveryCount).')
@minValue(1)
@maxValue(2000)
param eventsMaxDeliveryCount int

@description('sas: create queue-level SAS rules for the forwarder; entraId: no SAS at all (local auth disabled on the namespace).')
param forwarderAuth forwarderAuthType

var sas = forwarderAuth == 'sas'
var ruleNames = {
  eventsSend: 'podid-forwarder-send'
  commandsListen: 'podid-forwarder-listen'
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

// The MIC dead-letters a malformed event by failing it until MaxDeliveryCount (ADR 0002): a
// lower count bounds those retries.
resource eventsQueue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {
  parent: namespace
  name: queueNames.events
  properties: union(queueProperties, {
    maxDeliveryCount: eventsMaxDeliveryCount
  })
}

resource commandsQueue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = {
  parent: namespace
  name: queueNames.commands
  properties: queueProperties
}

// Least privilege per queue: the forwarder may only send events and only receive commands. A
// connection string carries one key, so the forwarder takes one per queue
// (PODID_SERVICEBUS_EVENTS_CONNECTION_STRING / PODID_SERVICEBUS_COMMANDS_CONNECTION_STRING); no
// namespace-level rule is created for it.
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
} = {
  eventsSend: sas ? ruleNames.eventsSend : ''
  commandsListen: sas ? ruleNames.commandsListen : ''
}
