// Entra ID auth for the forwarder (instead of SAS): send on the events queue, receive on the
// commands queue, nothing else. The principal is typically a user-assigned identity federated
// with the forwarder's Kubernetes service account (AKS workload identity).
import { builtInRoles } from 'roles.bicep'

@description('Object ID of the forwarder\'s principal.')
param principalId string

@description('Service Bus namespace name.')
param serviceBusNamespaceName string

@description('Queue the forwarder sends to.')
param eventsQueueName string

@description('Queue the forwarder receives from.')
param commandsQueueName string

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

resource eventsQueue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' existing = {
  parent: namespace
  name: eventsQueueName
}

resource commandsQueue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' existing = {
  parent: namespace
  name: commandsQueueName
}

resource eventsSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(eventsQueue.id, principalId, builtInRoles.serviceBusDataSender)
  scope: eventsQueue
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.serviceBusDataSender)
  }
}

resource commandsReceiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(commandsQueue.id, principalId, builtInRoles.serviceBusDataReceiver)
  scope: commandsQueue
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.serviceBusDataReceiver)
  }
}
