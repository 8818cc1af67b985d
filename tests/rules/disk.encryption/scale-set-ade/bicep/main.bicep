// Two scale sets from one loop; Azure Disk Encryption as a child extension of the first.
var scaleSets = ['ss-ade', 'ss-bare']

resource sets 'Microsoft.Compute/virtualMachineScaleSets@2023-09-01' = [for name in scaleSets: {
  name: name
  location: 'westeurope'
  sku: { name: 'Standard_D2s_v5', capacity: 2 }
  properties: {
    virtualMachineProfile: {
      storageProfile: {
        osDisk: {
          createOption: 'FromImage'
          managedDisk: { storageAccountType: 'Premium_LRS' }
        }
      }
    }
  }
}]

resource ade 'Microsoft.Compute/virtualMachineScaleSets/extensions@2023-09-01' = {
  parent: sets[0]
  name: 'AzureDiskEncryptionForLinux'
  properties: {
    publisher: 'Microsoft.Azure.Security'
    type: 'AzureDiskEncryptionForLinux'
    typeHandlerVersion: '1.1'
    settings: {
      EncryptionOperation: 'EnableEncryption'
      VolumeType: 'All'
      KeyVaultURL: 'https://kv-app.vault.azure.net/'
    }
  }
}
