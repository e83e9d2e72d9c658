// Log Analytics workspace + workspace-based Application Insights for the MIC's logs and metrics.
// Local (instrumentation-key) ingestion is disabled: the app sends with its Entra identity.

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Log Analytics workspace name.')
param workspaceName string

@description('Application Insights component name.')
param appInsightsName string

@description('Days Log Analytics keeps data.')
@minValue(30)
@maxValue(730)
param retentionInDays int

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    IngestionMode: 'LogAnalytics'
    DisableLocalAuth: true
  }
}

@description('Application Insights component name.')
output appInsightsName string = appInsights.name

@description('Application Insights resource ID.')
output appInsightsId string = appInsights.id

@description('Log Analytics workspace resource ID (query podid logs here).')
output workspaceId string = workspace.id
