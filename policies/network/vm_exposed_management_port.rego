package kensa.rules.network.vm_exposed_management_port

import rego.v1

import data.kensa.lib.exposure
import data.kensa.lib.util

metadata := {
	"id": "network.vm-exposed-management-port",
	"title": "No VM is reachable from the internet on a management port",
	"severity": "critical",
	"resource_types": ["microsoft.compute/virtualmachines"],
	"description": concat(" ", [
		"Fails when a management port is reachable end to end: a NIC IP configuration has a",
		"public IP, and both the NIC's NSG and its subnet's NSG let the internet through on Tcp",
		"or Udp (each evaluated in priority order including the default rules; a level without",
		"an NSG does not block; both levels must allow the same protocol). With no NSG at",
		"either level only a Basic-SKU public IP (or one without a SKU) is open, because",
		"Standard-SKU public IPs deny inbound traffic by default. When a NIC, NSG, subnet or",
		"public IP on the path is missing from the inventory, no verdict is given and the",
		"coverage section names what is missing.",
	]),
	"remediation": "Close the port in the NSGs on the path (or remove the public IP) and use Just-In-Time access or Azure Bastion for administration.",
	"help": "This is the exposure that matters: a rule in some NSG is only a problem when it sits on the path from a public IP to a VM.",
	"snippets": {
		"arm": `"securityRules": [
  {
    "name": "deny-management-from-internet",
    "properties": {
      "priority": 100, "direction": "Inbound", "access": "Deny", "protocol": "*",
      "sourceAddressPrefix": "Internet", "sourcePortRange": "*",
      "destinationAddressPrefix": "*", "destinationPortRanges": ["22", "3389", "5985", "5986"]
    }
  }
]`,
		"terraform": `security_rule {
  name                       = "deny-management-from-internet"
  priority                   = 100
  direction                  = "Inbound"
  access                     = "Deny"
  protocol                   = "*"
  source_address_prefix      = "Internet"
  source_port_range          = "*"
  destination_address_prefix = "*"
  destination_port_ranges    = ["22", "3389", "5985", "5986"]
}`,
	},
}

deny contains finding if {
	util.is_type(input.resource, "microsoft.compute/virtualmachines")
	some port in data.kensa.params.network.management_ports
	paths := exposure.paths(port)
	count(paths) > 0
	p := paths[0]
	finding := {
		"msg": sprintf("VM '%s' is reachable from the internet on management port %d/%s via public IP %s on NIC '%s'", [input.resource.name, port, p.protocol, p.public_ip, p.nic]),
		"key": sprintf("%d", [port]),
		"evidence": object.union(p, {"port": port, "paths": count(paths)}),
		"fix": fix(p),
	}
}

fix(p) := sprintf("az network nsg rule update -g %s --nsg-name %s -n %s --access Deny", [util.resource_group(input.resource), parts[0], parts[1]]) if {
	rule := object.get(p, "nic_nsg_rule", null)
	rule != null
	parts := split(rule, "/")
} else := sprintf("az network nsg rule update -g %s --nsg-name %s -n %s --access Deny", [util.resource_group(input.resource), parts[0], parts[1]]) if {
	rule := object.get(p, "subnet_nsg_rule", null)
	rule != null
	parts := split(rule, "/")
} else := sprintf("az network nic ip-config update -g %s --nic-name %s -n <ip-config> --remove publicIpAddress  # or attach an NSG", [util.resource_group(input.resource), p.nic])

unknown contains reason if {
	util.is_type(input.resource, "microsoft.compute/virtualmachines")
	some reason in exposure.unknowns
}
