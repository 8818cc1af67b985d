// The same three machines as arm/azuredeploy.json, in Bicep.
param secureBoot bool = false
param location string = 'westeurope'

var trustedLaunch = {
  securityType: 'TrustedLaunch'
  uefiSettings: {
    secureBootEnabled: true
    vTpmEnabled: true
  }
}

resource vmTl 'Microsoft.Compute/virtualMachines@2023-09-01' = {
  name: 'vm-tl'
  location: location
  properties: {
    hardwareProfile: { vmSize: 'Standard_D2s_v5' }
    securityProfile: trustedLaunch
    storageProfile: { osDisk: { osType: 'Linux', createOption: 'FromImage' } }
  }
}

resource vmGen1 'Microsoft.Compute/virtualMachines@2023-09-01' = {
  name: 'vm-gen1'
  location: location
  properties: {
    hardwareProfile: { vmSize: 'Standard_D2s_v5' }
    storageProfile: { osDisk: { osType: 'Linux', createOption: 'FromImage' } }
  }
}

resource ssWeb 'Microsoft.Compute/virtualMachineScaleSets@2023-09-01' = {
  name: 'ss-web'
  location: location
  sku: { name: 'Standard_D2s_v5', capacity: 3 }
  properties: {
    virtualMachineProfile: {
      securityProfile: union(trustedLaunch, {
        uefiSettings: {
          secureBootEnabled: secureBoot
          vTpmEnabled: true
        }
      })
      storageProfile: { osDisk: { createOption: 'FromImage' } }
    }
  }
}
