// The forwarder's own Entra ID identity (forwarderAuth=entraId without a principal of your own):
// a user-assigned identity federated with the forwarder's Kubernetes service account, so AKS
// workload identity hands the forwarder tokens and no Service Bus secret lives in the cluster.

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Name of the user-assigned identity.')
@minLength(3)
@maxLength(128)
param name string

@description('The AKS cluster\'s OIDC issuer URL (az aks show --query oidcIssuerProfile.issuerUrl).')
@minLength(1)
param oidcIssuerUrl string

@description('Namespace of the forwarder\'s service account.')
param serviceAccountNamespace string

@description('Name of the forwarder\'s service account.')
param serviceAccountName string

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

// Tokens the cluster signs for this one service account (audience fixed by workload identity).
resource federation 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials@2023-01-31' = {
  parent: identity
  name: 'podid-forwarder'
  properties: {
    issuer: oidcIssuerUrl
    subject: 'system:serviceaccount:${serviceAccountNamespace}:${serviceAccountName}'
    audiences: [
      'api://AzureADTokenExchange'
    ]
  }
}

@description('Object (principal) ID of the identity: gets the forwarder\'s Service Bus data roles.')
output principalId string = identity.properties.principalId

@description('Client ID of the identity: the service account annotation azure.workload.identity/client-id.')
output clientId string = identity.properties.clientId
