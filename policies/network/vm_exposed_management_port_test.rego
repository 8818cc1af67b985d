package kensa.rules.network.vm_exposed_management_port_test

import rego.v1

import data.kensa.rules.network.vm_exposed_management_port as rule

vm := {
	"id": "/subscriptions/1111/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm1",
	"name": "vm1",
	"type": "microsoft.compute/virtualmachines",
	"properties": {},
}

params := {"network": {"management_ports": [22, 3389]}}

nsg(name, rules) := {"id": concat("/", ["/nsg", name]), "name": name, "properties": {"securityRules": rules, "defaultSecurityRules": [
	{"name": "AllowVnetInBound", "properties": {"protocol": "*", "sourceAddressPrefix": "VirtualNetwork", "destinationPortRange": "*", "access": "Allow", "priority": 65000, "direction": "Inbound"}},
	{"name": "DenyAllInBound", "properties": {"protocol": "*", "sourceAddressPrefix": "*", "destinationPortRange": "*", "access": "Deny", "priority": 65500, "direction": "Inbound"}},
]}}

allow(name, proto, port) := {"name": name, "properties": {"protocol": proto, "sourceAddressPrefix": "*", "destinationPortRange": port, "access": "Allow", "priority": 100, "direction": "Inbound"}}

pip(sku) := {"id": "/pip1", "name": "pip1", "sku": {"name": sku}, "properties": {"ipAddress": "20.1.2.3"}}

# One NIC, one IP configuration; null NSGs mean "none at that level".
related(nic_nsg, subnet_nsg, public_ip) := {"nics": [{
	"id": "/nic1",
	"resource": {"id": "/nic1", "name": "nic1"},
	"nsg_id": id_of(nic_nsg),
	"nsg": nic_nsg,
	"ip_configurations": [{
		"name": "ipconfig1",
		"subnet_id": "/vnet/subnets/s1",
		"subnet": {"id": "/vnet/subnets/s1"},
		"subnet_nsg_id": id_of(subnet_nsg),
		"subnet_nsg": subnet_nsg,
		"public_ip_id": id_of(public_ip),
		"public_ip": public_ip,
	}],
}]}

id_of(x) := x.id if x != null

else := null

exposed(rel) := {f.evidence.port | some f in rule.deny with input as {"resource": vm, "related": rel} with data.kensa.params as params}

test_nic_nsg_allows_no_subnet_nsg if {
	exposed(related(nsg("n", [allow("ssh", "Tcp", "22")]), null, pip("Standard"))) == {22}
}

test_subnet_nsg_denies_what_nic_allows if {
	exposed(related(nsg("n", [allow("ssh", "Tcp", "22")]), nsg("s", []), pip("Standard"))) == set()
}

test_both_levels_allow if {
	exposed(related(nsg("n", [allow("ssh", "Tcp", "22")]), nsg("s", [allow("all", "*", "*")]), pip("Standard"))) == {22}
}

test_both_levels_must_allow_the_same_protocol if {
	exposed(related(nsg("n", [allow("ssh", "Tcp", "22")]), nsg("s", [allow("udp", "Udp", "22")]), pip("Standard"))) == set()
}

test_no_public_ip_is_never_exposed if {
	exposed(related(nsg("n", [allow("ssh", "Tcp", "22")]), null, null)) == set()
}

test_no_nsg_basic_ip_is_open if {
	exposed(related(null, null, pip("Basic"))) == {22, 3389}
}

test_no_nsg_ip_without_sku_counts_as_basic if {
	exposed(related(null, null, {"id": "/pip1", "name": "pip1", "properties": {}})) == {22, 3389}
}

test_no_nsg_standard_ip_is_closed if {
	exposed(related(null, null, pip("Standard"))) == set()
}

test_finding_names_path_and_fix if {
	some f in rule.deny with input as {"resource": vm, "related": related(nsg("nsg-a", [allow("ssh", "Tcp", "22")]), null, pip("Standard"))}
		with data.kensa.params as params
	f.evidence.nic_nsg_rule == "nsg-a/ssh"
	f.evidence.subnet_nsg_rule == null
	f.evidence.public_ip == "pip1 (20.1.2.3)"
	startswith(f.fix, "az network nsg rule update -g rg-app --nsg-name nsg-a -n ssh --access Deny")
}

test_missing_nsg_row_is_undecided_not_open if {
	rel := {"nics": [{"id": "/nic1", "resource": {"id": "/nic1", "name": "nic1"}, "nsg_id": "/nsg/gone", "nsg": null, "ip_configurations": [{
		"name": "c", "subnet_id": null, "subnet": null, "subnet_nsg_id": null, "subnet_nsg": null,
		"public_ip_id": "/pip1", "public_ip": pip("Basic"),
	}]}]}
	count(rule.deny) == 0 with input as {"resource": vm, "related": rel} with data.kensa.params as params
	count(rule.unknown) == 1 with input as {"resource": vm, "related": rel} with data.kensa.params as params
}

test_missing_nic_is_undecided if {
	rel := {"nics": [{"id": "/nic-elsewhere", "resource": null, "nsg_id": null, "nsg": null, "ip_configurations": []}]}
	some reason in rule.unknown with input as {"resource": vm, "related": rel} with data.kensa.params as params
	contains(reason, "/nic-elsewhere")
}

test_any_protocol_on_both_levels_reports_tcp if {
	some f in rule.deny with input as {"resource": vm, "related": related(nsg("n", [allow("all", "*", "22")]), nsg("s", [allow("all", "*", "*")]), pip("Standard"))}
		with data.kensa.params as params
	f.evidence.protocol == "Tcp"
	f.evidence.subnet_nsg_rule == "s/all"
}

test_udp_only_path_is_reported_as_udp if {
	some f in rule.deny with input as {"resource": vm, "related": related(nsg("n", [allow("rdp-udp", "Udp", "3389")]), null, pip("Standard"))}
		with data.kensa.params as params
	f.evidence.protocol == "Udp"
	f.evidence.port == 3389
}
