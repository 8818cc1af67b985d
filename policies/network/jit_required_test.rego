package kensa.rules.network.jit_required_test

import rego.v1

import data.kensa.rules.network.jit_required as rule

vm(os) := {
	"id": "/subscriptions/1111/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm1",
	"name": "vm1",
	"type": "microsoft.compute/virtualmachines",
	"location": "westeurope",
	"subscriptionId": "1111",
	"properties": {"storageProfile": {"osDisk": {"osType": os}}},
}

nics(public_ip) := [{"id": "/nic1", "resource": {"name": "nic1"}, "nsg_id": null, "nsg": null, "ip_configurations": [{"public_ip_id": public_ip}]}]

jit(port) := [{"policy_id": "/jit/default", "virtual_machine": {"id": "/x", "ports": [{"number": port, "protocol": "*"}]}}]

test_public_linux_vm_without_jit_fails_on_22 if {
	some f in rule.deny with input as {"resource": vm("Linux"), "related": {"nics": nics("/pip"), "jit": []}}
	f.evidence.port == 22
	contains(f.fix, "jitNetworkAccessPolicies/default")
}

test_windows_needs_3389 if {
	some f in rule.deny with input as {"resource": vm("Windows"), "related": {"nics": nics("/pip"), "jit": jit(22)}}
	f.evidence.port == 3389
}

test_jit_on_the_os_port_passes if {
	count(rule.deny) == 0 with input as {"resource": vm("Windows"), "related": {"nics": nics("/pip"), "jit": jit(3389)}}
}

test_private_vm_needs_no_jit if {
	count(rule.deny) == 0 with input as {"resource": vm("Linux"), "related": {"nics": nics(null), "jit": []}}
}

test_os_type_from_os_profile if {
	v := {"id": "/vm2", "name": "vm2", "type": "Microsoft.Compute/virtualMachines", "properties": {"osProfile": {"windowsConfiguration": {}}}}
	some f in rule.deny with input as {"resource": v, "related": {"nics": nics("/pip"), "jit": []}}
	f.evidence.port == 3389
}

test_an_unknown_public_ip_is_undecided_never_passed if {
	nic := {
		"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/nic1",
		"resource": {"name": "nic1", "properties": {"ipConfigurations": [{"name": "ipc", "properties": {"publicIPAddress": {"id": {"kensa:unknown": "parameter 'pip' has no value"}}}}]}},
		"nsg_id": null,
		"nsg": null,
		"ip_configurations": [{"name": "ipc", "subnet_id": null, "subnet": null, "subnet_nsg_id": null, "subnet_nsg": null, "public_ip_id": null, "public_ip": null, "config": {"name": "ipc", "properties": {"publicIPAddress": {"id": {"kensa:unknown": "parameter 'pip' has no value"}}}}, "load_balancer_paths": []}],
	}
	vm := {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1", "name": "vm1", "type": "microsoft.compute/virtualmachines", "properties": {}}
	inp := {"resource": vm, "related": {"nics": [nic], "jit": []}}
	count(rule.deny) == 0 with input as inp
	some r in rule.unknown with input as inp
	contains(r, "public IP of IP configuration ipc of nic1")
}
