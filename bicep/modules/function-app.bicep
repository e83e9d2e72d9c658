// The MIC: a Node.js function app on the Flex Consumption plan (Linux), system-assigned
// identity, code deployed to a blob container the app reads with that identity. Flex reads
// runtime and version from functionAppConfig, so the legacy FUNCTIONS_WORKER_RUNTIME,
// FUNCTIONS_EXTENSION_VERSION, WEBSITE_RUN_FROM_PACKAGE and WEBSITE_NODE_DEFAULT_VERSION
// settings are not set (Flex rejects them).
import { flexScaleType } from '../types.bicep'

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Function app name (globally unique host name).')
@minLength(2)
@maxLength(60)
param name string

@description('Flex Consumption plan name.')
param planName string

@description('Node.js major version of the Functions runtime.')
param nodeVersion '20' | '22'

@description('Instance memory and scale-out limit.')
param scale flexScaleType

@description('URL of the blob container holding the deployment package.')
param deploymentContainerUrl string

@description('App settings (name → value); no secrets, identity-based connections only.')
param appSettings object

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true // Linux
  }
}

resource site 'Microsoft.Web/sites@2024-11-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: map(items(appSettings), s => {
        name: s.key
        value: string(s.value)
      })
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: scale.instanceMemoryMB
        maximumInstanceCount: scale.maximumInstanceCount
      }
      runtime: {
        name: 'node'
        version: nodeVersion
      }
    }
  }
}

@description('Function app name.')
output name string = site.name

@description('Function app resource ID.')
output id string = site.id

@description('Default host name (https://<this>/api/...).')
output defaultHostName string = site.properties.defaultHostName

@description('Object (principal) ID of the app\'s system-assigned identity.')
output principalId string = site.identity.principalId
