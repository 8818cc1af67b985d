package kensa.rules.network.vm_exposed_management_port

import rego.v1

import data.kensa.lib.doors
import data.kensa.lib.exposure
import data.kensa.lib.util

metadata := {
	"id": "network.vm-exposed-management-port",
	"title": "No VM or scale set is reachable from the internet on a management port",
	"severity": "critical",
	"resource_types": ["microsoft.compute/virtualmachines", "microsoft.compute/virtualmachinescalesets"],
	"description": concat(" ", [
		"Fails when a management port P is reachable end to end: a path exists from the internet",
		"to one of the machine's NIC IP configurations on destination port P, and every NSG on",
		"that path (the subnet's, and the NIC's or the scale set NIC configuration's) admits the",
		"internet to P for that IP configuration. Paths: (1) a public IP on the IP",
		"configuration; (2) a public load balancer's inbound NAT rule the IP configuration names,",
		"with backend port P (the frontend port does not matter); (3) an inbound NAT rule over a",
		"frontend port range whose backend pool holds the IP configuration; (4) an inbound NAT pool",
		"a scale set NIC configuration names; (5) a load-balancing rule on a public frontend whose",
		"backend pool holds the IP configuration; (6) per-instance public IPs of a scale set",
		"(`publicIPAddressConfiguration`). A frontend is public when it has a public IP or prefix;",
		"internal load balancers are never a path. Backend port 0 with protocol All (HA ports)",
		"carries every port; the path's protocol is the rule's (All = Tcp and Udp) and the NSG rules",
		"must admit it. With no NSG at either level only Basic SKUs (public IP or load balancer; a",
		"missing SKU is Basic) are open; Standard SKUs deny inbound unless an NSG allows. An NSG",
		"rule applies to an IP configuration only if its destination covers it: `*`, `Any`,",
		"`VirtualNetwork`, a prefix containing its private address (for a scale set, or an address",
		"left to deployment, a prefix containing the whole subnet), or an application security",
		"group it is in. When that cannot be known, or a NIC, NSG, subnet, public IP or load",
		"balancer on the path is missing from the inventory, no verdict is given for it and the",
		"coverage section says why. One finding per machine and port; a scale set's finding",
		"speaks for all its instances.",
	]),
	"remediation": "Remove the path (the public IP, the NAT rule or NAT pool) or close the port in the NSGs on it, and administer through Just-In-Time access or Azure Bastion.",
	"help": "This is the exposure that matters: a rule in some NSG, or a NAT rule on a load balancer, is only a problem when it completes a path from the internet to a machine.",
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
	util.input_type in metadata.resource_types
	some port in exposure.open_ports
	paths := exposure.paths(port)
	count(paths) > 0
	p := paths[0]
	finding := {
		"msg": message(p, port),
		"key": sprintf("%d", [port]),
		"evidence": object.union(p, {"port": port, "paths": count(paths)}),
		"fix": fix(p),
	}
}

subject := sprintf("Instances of scale set '%s' are", [input.resource.name]) if doors.scale_set

else := sprintf("VM '%s' is", [input.resource.name])

message(p, port) := sprintf("%s reachable from the internet on management port %d/%s via public IP %s on NIC '%s'", [subject, port, p.protocol, p.public_ip, p.nic]) if {
	p.path == "public IP"
} else := sprintf("%s reachable from the internet on management port %d/%s via %s on NIC configuration '%s'", [subject, port, p.protocol, p.public_ip, p.nic]) if {
	p.path == "instance public IPs"
} else := sprintf("%s reachable from the internet on management port %d/%s via load balancer '%s' %s '%s' (frontend %s, port %s) to NIC '%s'", [subject, port, p.protocol, p.load_balancer, p.path, p.lb_rule, p.frontend, p.frontend_port, p.nic])

rg := util.resource_group(input.resource)

nsg_fix(p) := sprintf("az network nsg rule update -g %s --nsg-name %s -n %s --access Deny  # administer through Azure Bastion or JIT", util.words([rg, parts[0], parts[1]])) if {
	rule := object.get(p, "nic_nsg_rule", null)
	rule != null
	parts := split(rule, "/")
} else := sprintf("az network nsg rule update -g %s --nsg-name %s -n %s --access Deny  # administer through Azure Bastion or JIT", util.words([rg, parts[0], parts[1]])) if {
	rule := object.get(p, "subnet_nsg_rule", null)
	rule != null
	parts := split(rule, "/")
}

fix(p) := sprintf("az network lb inbound-nat-rule delete -g %s --lb-name %s -n %s  # administer through Azure Bastion or JIT instead", util.words([rg, p.load_balancer, p.lb_rule])) if {
	p.path == "inbound NAT rule"
} else := sprintf("az network lb inbound-nat-pool delete -g %s --lb-name %s -n %s  # after removing it from the scale set model; administer through Azure Bastion or JIT instead", util.words([rg, p.load_balancer, p.lb_rule])) if {
	p.path == "inbound NAT pool"
} else := f if {
	f := nsg_fix(p)
} else := sprintf("az network lb rule delete -g %s --lb-name %s -n %s  # or attach an NSG that denies the port", util.words([rg, p.load_balancer, p.lb_rule])) if {
	p.path == "load-balancing rule"
} else := sprintf("az vmss update -g %s -n %s --remove virtualMachineProfile.networkProfile.networkInterfaceConfigurations[0].ipConfigurations[0].publicIPAddressConfiguration  # or attach an NSG", util.words([rg, input.resource.name])) if {
	p.path == "instance public IPs"
} else := sprintf("az network nic ip-config update -g %s --nic-name %s -n %s --remove publicIpAddress  # or attach an NSG", util.words([rg, p.nic, p.ip_configuration]))

unknown contains reason if {
	util.input_type in metadata.resource_types
	some reason in exposure.unknowns
}
