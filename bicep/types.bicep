// User-defined types shared by main.bicep and its modules (compile-time imports).

@export()
@description('A resource group, optionally in another subscription of the same tenant.')
type resourceGroupRefType = {
  @description('Subscription ID of the resource group. Default: the deployment\'s subscription.')
  subscriptionId: string?

  @description('Name of the resource group.')
  @minLength(1)
  @maxLength(90)
  resourceGroupName: string
}

@export()
@description('How the in-cluster forwarder authenticates to Service Bus.')
type forwarderAuthType = 'sas' | 'entraId'

@export()
@description('Flex Consumption sizing of the function app (the MIC).')
type flexScaleType = {
  @description('Memory per instance in MB.')
  instanceMemoryMB: 512 | 2048 | 4096

  @description('Upper bound of instances the app scales out to.')
  @minValue(1)
  @maxValue(1000)
  maximumInstanceCount: int
}

@export()
@description('Settings applied to both podid queues (mic-events and mic-commands).')
type queueSettingsType = {
  @description('Deliveries before a message is dead-lettered (mic-commands; mic-events has its own eventsMaxDeliveryCount).')
  @minValue(1)
  @maxValue(2000)
  maxDeliveryCount: int

  @description('ISO 8601 duration of the duplicate detection history (max P7D).')
  duplicateDetectionHistoryTimeWindow: string

  @description('ISO 8601 peek-lock duration (max PT5M).')
  lockDuration: string

  @description('ISO 8601 default time to live; expired messages are dead-lettered.')
  defaultMessageTimeToLive: string
}
