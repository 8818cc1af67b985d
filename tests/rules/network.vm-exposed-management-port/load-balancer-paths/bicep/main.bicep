// The same estate as ../arm/azuredeploy.json, written as Bicep is: symbols, loops, interpolation.
param location string = 'westeurope'

var subnets = [
  { name: 'snet-app', prefix: '10.1.2.0/24', nsg: 'nsg-app' }
  { name: 'snet-open', prefix: '10.1.3.0/24', nsg: null }
  { name: 'snet-asg', prefix: '10.1.4.0/24', nsg: 'nsg-asg' }
]

resource vnet 'Microsoft.Network/virtualNetworks@2023-09-01' = {
  name: 'vnet-lb'
  location: location
  properties: {
    addressSpace: { addressPrefixes: ['10.1.0.0/16'] }
    subnets: [for s in subnets: {
      name: s.name
      properties: {
        addressPrefix: s.prefix
        networkSecurityGroup: s.nsg == null ? null : { id: resourceId('Microsoft.Network/networkSecurityGroups', s.nsg) }
      }
    }]
  }
}

resource nsgApp 'Microsoft.Network/networkSecurityGroups@2023-09-01' = {
  name: 'nsg-app'
  location: location
  properties: {
    securityRules: [
      {
        name: 'allow-ssh'
        properties: {
          priority: 100
          direction: 'Inbound'
          access: 'Allow'
          protocol: 'Tcp'
          sourceAddressPrefix: '*'
          sourcePortRange: '*'
          destinationPortRange: '22'
          destinationAddressPrefix: '*'
        }
      }
      {
        name: 'allow-rdp'
        properties: {
          priority: 110
          direction: 'Inbound'
          access: 'Allow'
          protocol: 'Tcp'
          sourceAddressPrefix: 'Internet'
          sourcePortRange: '*'
          destinationPortRange: '3389'
          destinationAddressPrefix: '*'
        }
      }
    ]
  }
}

resource nsgAsg 'Microsoft.Network/networkSecurityGroups@2023-09-01' = {
  name: 'nsg-asg'
  location: location
  properties: {
    securityRules: [
      {
        name: 'ssh-to-bastion-asg'
        properties: {
          priority: 100
          direction: 'Inbound'
          access: 'Allow'
          protocol: 'Tcp'
          sourceAddressPrefix: '*'
          sourcePortRange: '*'
          destinationPortRange: '22'
          destinationApplicationSecurityGroups: [{ id: asgBastion.id }]
        }
      }
      {
        name: 'rdp-to-one-host'
        properties: {
          priority: 110
          direction: 'Inbound'
          access: 'Allow'
          protocol: 'Tcp'
          sourceAddressPrefix: '*'
          sourcePortRange: '*'
          destinationPortRange: '3389'
          destinationAddressPrefix: '10.1.4.10'
        }
      }
    ]
  }
}

resource asgBastion 'Microsoft.Network/applicationSecurityGroups@2023-09-01' = {
  name: 'asg-bastion'
  location: location
}

resource asgWeb 'Microsoft.Network/applicationSecurityGroups@2023-09-01' = {
  name: 'asg-web'
  location: location
}

resource pipLb 'Microsoft.Network/publicIPAddresses@2023-09-01' = {
  name: 'pip-lb'
  location: location
  sku: { name: 'Standard' }
  properties: { publicIPAllocationMethod: 'Static' }
}

resource pipStd2 'Microsoft.Network/publicIPAddresses@2023-09-01' = {
  name: 'pip-std2'
  location: location
  sku: { name: 'Standard' }
  properties: { publicIPAllocationMethod: 'Static' }
}

resource pipBasic 'Microsoft.Network/publicIPAddresses@2023-09-01' = {
  name: 'pip-basic'
  location: location
  sku: { name: 'Basic' }
  properties: { publicIPAllocationMethod: 'Static' }
}

resource pipVm 'Microsoft.Network/publicIPAddresses@2023-09-01' = {
  name: 'pip-vm'
  location: location
  sku: { name: 'Standard' }
  properties: { publicIPAllocationMethod: 'Static' }
}

resource lbPub 'Microsoft.Network/loadBalancers@2023-09-01' = {
  name: 'lb-pub'
  location: location
  sku: { name: 'Standard' }
  properties: {
    frontendIPConfigurations: [
      {
        name: 'fe'
        properties: {
          publicIPAddress: { id: pipLb.id }
        }
      }
    ]
    backendAddressPools: [{ name: 'be-rdp' }, { name: 'be-range' }, { name: 'be-web' }, { name: 'be-asg' }]
    inboundNatPools: [
      {
        name: 'pool-ssh'
        properties: {
          frontendIPConfiguration: { id: resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', 'lb-pub', 'fe') }
          protocol: 'Tcp'
          frontendPortRangeStart: 52000
          frontendPortRangeEnd: 52099
          backendPort: 22
        }
      }
    ]
    loadBalancingRules: [
      {
        name: 'rdp'
        properties: {
          frontendIPConfiguration: { id: resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', 'lb-pub', 'fe') }
          protocol: 'Tcp'
          frontendPort: 3389
          backendPort: 3389
          backendAddressPool: { id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', 'lb-pub', 'be-rdp') }
        }
      }
      {
        name: 'http'
        properties: {
          frontendIPConfiguration: { id: resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', 'lb-pub', 'fe') }
          protocol: 'Tcp'
          frontendPort: 80
          backendPort: 80
          backendAddressPool: { id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', 'lb-pub', 'be-web') }
        }
      }
      {
        name: 'asg-ssh'
        properties: {
          frontendIPConfiguration: { id: resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', 'lb-pub', 'fe') }
          protocol: 'Tcp'
          frontendPort: 10022
          backendPort: 22
          backendAddressPool: { id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', 'lb-pub', 'be-asg') }
        }
      }
      {
        name: 'asg-rdp'
        properties: {
          frontendIPConfiguration: { id: resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', 'lb-pub', 'fe') }
          protocol: 'Tcp'
          frontendPort: 13389
          backendPort: 3389
          backendAddressPool: { id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', 'lb-pub', 'be-asg') }
        }
      }
    ]
  }
}

resource natSsh 'Microsoft.Network/loadBalancers/inboundNatRules@2023-09-01' = {
  parent: lbPub
  name: 'nat-ssh'
  properties: {
    frontendIPConfiguration: { id: '${lbPub.id}/frontendIPConfigurations/fe' }
    protocol: 'Tcp'
    backendPort: 22
    frontendPort: 50022
  }
}

resource natRange 'Microsoft.Network/loadBalancers/inboundNatRules@2023-09-01' = {
  parent: lbPub
  name: 'nat-range'
  properties: {
    frontendIPConfiguration: { id: '${lbPub.id}/frontendIPConfigurations/fe' }
    protocol: 'Tcp'
    backendPort: 22
    frontendPortRangeStart: 51000
    frontendPortRangeEnd: 51099
    backendAddressPool: { id: '${lbPub.id}/backendAddressPools/be-range' }
  }
}

resource lbInt 'Microsoft.Network/loadBalancers@2023-09-01' = {
  name: 'lb-int'
  location: location
  sku: { name: 'Standard' }
  properties: {
    frontendIPConfigurations: [
      {
        name: 'fe'
        properties: {
          subnet: { id: '${vnet.id}/subnets/snet-app' }
          privateIPAddress: '10.1.2.250'
          privateIPAllocationMethod: 'Static'
        }
      }
    ]
  }
}

resource natIntSsh 'Microsoft.Network/loadBalancers/inboundNatRules@2023-09-01' = {
  parent: lbInt
  name: 'nat-int-ssh'
  properties: {
    frontendIPConfiguration: { id: '${lbInt.id}/frontendIPConfigurations/fe' }
    protocol: 'Tcp'
    backendPort: 22
    frontendPort: 2222
  }
}

resource lbStd2 'Microsoft.Network/loadBalancers@2023-09-01' = {
  name: 'lb-std2'
  location: location
  sku: { name: 'Standard' }
  properties: {
    frontendIPConfigurations: [
      {
        name: 'fe'
        properties: {
          publicIPAddress: { id: pipStd2.id }
        }
      }
    ]
  }
}

resource natStd 'Microsoft.Network/loadBalancers/inboundNatRules@2023-09-01' = {
  parent: lbStd2
  name: 'nat-std'
  properties: {
    frontendIPConfiguration: { id: '${lbStd2.id}/frontendIPConfigurations/fe' }
    protocol: 'Tcp'
    backendPort: 22
    frontendPort: 50022
  }
}

resource lbBasic 'Microsoft.Network/loadBalancers@2023-09-01' = {
  name: 'lb-basic'
  location: location
  properties: {
    frontendIPConfigurations: [
      {
        name: 'fe'
        properties: {
          publicIPAddress: { id: pipBasic.id }
        }
      }
    ]
  }
}

resource natBasic 'Microsoft.Network/loadBalancers/inboundNatRules@2023-09-01' = {
  parent: lbBasic
  name: 'nat-basic'
  properties: {
    frontendIPConfiguration: { id: '${lbBasic.id}/frontendIPConfigurations/fe' }
    protocol: 'Tcp'
    backendPort: 3389
    frontendPort: 53389
  }
}

var machines = [
  { name: 'vm-nat', subnet: 'snet-app', ip: '10.1.2.4', nat: ['lb-pub/nat-ssh'], pools: [], asgs: [], pip: null }
  { name: 'vm-pool', subnet: 'snet-app', ip: '10.1.2.5', nat: [], pools: ['lb-pub/be-rdp'], asgs: [], pip: null }
  { name: 'vm-range', subnet: 'snet-app', ip: '10.1.2.6', nat: [], pools: ['lb-pub/be-range'], asgs: [], pip: null }
  { name: 'vm-internal', subnet: 'snet-app', ip: '10.1.2.7', nat: ['lb-int/nat-int-ssh'], pools: [], asgs: [], pip: null }
  { name: 'vm-web-only', subnet: 'snet-app', ip: '10.1.2.8', nat: [], pools: ['lb-pub/be-web'], asgs: [], pip: null }
  { name: 'vm-standard-no-nsg', subnet: 'snet-open', ip: '10.1.3.4', nat: ['lb-std2/nat-std'], pools: [], asgs: [], pip: null }
  { name: 'vm-basic-no-nsg', subnet: 'snet-open', ip: '10.1.3.5', nat: ['lb-basic/nat-basic'], pools: [], asgs: [], pip: null }
  { name: 'vm-asg-other', subnet: 'snet-asg', ip: '10.1.4.4', nat: [], pools: ['lb-pub/be-asg'], asgs: ['asg-web'], pip: null }
  { name: 'vm-asg-member', subnet: 'snet-asg', ip: '10.1.4.10', nat: [], pools: ['lb-pub/be-asg'], asgs: ['asg-bastion'], pip: null }
  { name: 'vm-pip', subnet: 'snet-app', ip: '10.1.2.9', nat: [], pools: [], asgs: [], pip: 'pip-vm' }
]

resource nics 'Microsoft.Network/networkInterfaces@2023-09-01' = [for m in machines: {
  name: 'nic-${substring(m.name, 3)}'
  location: location
  properties: {
    ipConfigurations: [
      {
        name: 'ipconfig1'
        properties: {
          privateIPAllocationMethod: 'Static'
          privateIPAddress: m.ip
          subnet: { id: '${vnet.id}/subnets/${m.subnet}' }
          loadBalancerInboundNatRules: [for r in m.nat: { id: resourceId('Microsoft.Network/loadBalancers/inboundNatRules', split(r, '/')[0], split(r, '/')[1]) }]
          loadBalancerBackendAddressPools: [for p in m.pools: { id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', split(p, '/')[0], split(p, '/')[1]) }]
          applicationSecurityGroups: [for a in m.asgs: { id: resourceId('Microsoft.Network/applicationSecurityGroups', a) }]
          publicIPAddress: m.pip == null ? null : { id: resourceId('Microsoft.Network/publicIPAddresses', m.pip) }
        }
      }
    ]
  }
}]

resource vms 'Microsoft.Compute/virtualMachines@2023-09-01' = [for (m, i) in machines: {
  name: m.name
  location: location
  properties: {
    hardwareProfile: { vmSize: 'Standard_D2s_v5' }
    storageProfile: { osDisk: { osType: 'Linux', createOption: 'FromImage' } }
    networkProfile: { networkInterfaces: [{ id: nics[i].id }] }
  }
}]

resource ssNatpool 'Microsoft.Compute/virtualMachineScaleSets@2023-09-01' = {
  name: 'ss-natpool'
  location: location
  sku: { name: 'Standard_D2s_v5', capacity: 2 }
  properties: {
    virtualMachineProfile: {
      storageProfile: { osDisk: { osType: 'Linux', createOption: 'FromImage' } }
      networkProfile: {
        networkInterfaceConfigurations: [
          {
            name: 'ss-natpool-nic'
            properties: {
              primary: true
              ipConfigurations: [
                {
                  name: 'ipconfig1'
                  properties: {
                    subnet: { id: '${vnet.id}/subnets/snet-app' }
                    loadBalancerInboundNatPools: [{ id: '${lbPub.id}/inboundNatPools/pool-ssh' }]
                  }
                }
              ]
            }
          }
        ]
      }
    }
  }
}

resource ssPip 'Microsoft.Compute/virtualMachineScaleSets@2023-09-01' = {
  name: 'ss-pip'
  location: location
  sku: { name: 'Standard_D2s_v5', capacity: 2 }
  properties: {
    virtualMachineProfile: {
      storageProfile: { osDisk: { osType: 'Linux', createOption: 'FromImage' } }
      networkProfile: {
        networkInterfaceConfigurations: [
          {
            name: 'ss-pip-nic'
            properties: {
              primary: true
              ipConfigurations: [
                {
                  name: 'ipconfig1'
                  properties: {
                    subnet: { id: '${vnet.id}/subnets/snet-app' }
                    publicIPAddressConfiguration: {
                      name: 'inst-pip'
                      sku: { name: 'Standard' }
                      properties: { idleTimeoutInMinutes: 4 }
                    }
                  }
                }
              ]
            }
          }
        ]
      }
    }
  }
}

resource ssAsg 'Microsoft.Compute/virtualMachineScaleSets@2023-09-01' = {
  name: 'ss-asg'
  location: location
  sku: { name: 'Standard_D2s_v5', capacity: 2 }
  properties: {
    virtualMachineProfile: {
      storageProfile: { osDisk: { osType: 'Linux', createOption: 'FromImage' } }
      networkProfile: {
        networkInterfaceConfigurations: [
          {
            name: 'ss-asg-nic'
            properties: {
              primary: true
              ipConfigurations: [
                {
                  name: 'ipconfig1'
                  properties: {
                    subnet: { id: '${vnet.id}/subnets/snet-asg' }
                    loadBalancerBackendAddressPools: [{ id: '${lbPub.id}/backendAddressPools/be-asg' }]
                    applicationSecurityGroups: [{ id: asgWeb.id }]
                  }
                }
              ]
            }
          }
        ]
      }
    }
  }
}
