// Built-in Azure role definition IDs podid assigns. The GUIDs are the same in every tenant and
// cloud; test/unit/deploy/bicep-roles.test.ts pins each one to its role name.

@export()
@description('Built-in role definition GUIDs by role.')
var builtInRoles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
  virtualMachineContributor: '9980e02c-c2be-4d73-94e8-173b1dc7cf3c'
  managedIdentityOperator: 'f1a07417-d97a-45cb-824c-7a7467783830'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}
