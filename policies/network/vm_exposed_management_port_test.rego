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

# --- Load balancer paths, scale sets, destinations ---------------------------------------

# A load balancer path as the inventory writes it: `kind`, the rule, the frontend.
lb_path(kind, rule_props, frontend_props, sku) := {
	"id": "/lb/rule",
	"kind": kind,
	"rule": {"name": "r1", "properties": rule_props},
	"load_balancer_id": "/subscriptions/1111/resourceGroups/rg-net/providers/Microsoft.Network/loadBalancers/lb1",
	"load_balancer_name": "lb1",
	"load_balancer_sku": sku,
	"frontend_id": "/lb/fe",
	"frontend": {"name": "fe", "properties": frontend_props},
	"frontend_public_ip_id": "/pip-lb",
	"frontend_public_ip": {"name": "pip-lb", "properties": {"ipAddress": "20.9.9.9"}},
}

public_fe := {"publicIPAddress": {"id": "/pip-lb"}}

nat_rule(backend) := {"protocol": "Tcp", "frontendPort": 50022, "backendPort": backend, "frontendIPConfiguration": {"id": "/lb/fe"}}

# One NIC IP configuration at 10.0.1.4 in subnet 10.0.1.0/24 with the given paths and ASGs.
behind_lb(nic_nsg, subnet_nsg, paths, asgs) := {"nics": [{
	"id": "/nic1",
	"resource": {"id": "/nic1", "name": "nic1"},
	"nsg_id": id_of(nic_nsg),
	"nsg": nic_nsg,
	"ip_configurations": [{
		"name": "ipconfig1",
		"subnet_id": "/vnet/subnets/s1",
		"subnet": {"id": "/vnet/subnets/s1", "properties": {"addressPrefix": "10.0.1.0/24"}},
		"subnet_nsg_id": id_of(subnet_nsg),
		"subnet_nsg": subnet_nsg,
		"public_ip_id": null,
		"public_ip": null,
		"config": {"name": "ipconfig1", "properties": {"privateIPAddress": "10.0.1.4"}},
		"asg_ids": asgs,
		"load_balancer_paths": paths,
	}],
}]}

allow_to(name, port, dest) := {"name": name, "properties": {"protocol": "Tcp", "sourceAddressPrefix": "*", "destinationPortRange": port, "destinationAddressPrefix": dest, "access": "Allow", "priority": 100, "direction": "Inbound"}}

allow_to_asg(name, port, asg) := {"name": name, "properties": {"protocol": "Tcp", "sourceAddressPrefix": "*", "destinationPortRange": port, "destinationApplicationSecurityGroups": [{"id": asg}], "access": "Allow", "priority": 100, "direction": "Inbound"}}

test_nat_rule_to_22_through_an_allowing_nsg_is_exposed if {
	rel := behind_lb(nsg("n", [allow("ssh", "Tcp", "22")]), null, [lb_path("inboundNatRules", nat_rule(22), public_fe, "Standard")], [])
	exposed(rel) == {22}
	some f in rule.deny with input as {"resource": vm, "related": rel} with data.kensa.params as params
	f.evidence.path == "inbound NAT rule"
	f.evidence.frontend == "pip-lb (20.9.9.9)"
	f.evidence.frontend_port == "50022"
	startswith(f.fix, "az network lb inbound-nat-rule delete -g rg-app --lb-name lb1 -n r1")
}

test_the_frontend_port_does_not_matter_the_backend_port_does if {
	exposed(behind_lb(nsg("n", [allow("ssh", "Tcp", "22")]), null, [lb_path("inboundNatRules", nat_rule(8080), public_fe, "Standard")], [])) == set()
}

test_an_internal_frontend_is_never_a_path if {
	internal := {"subnet": {"id": "/vnet/subnets/s1"}, "privateIPAddress": "10.0.1.250"}
	exposed(behind_lb(nsg("n", [allow("ssh", "Tcp", "22")]), null, [lb_path("inboundNatRules", nat_rule(22), internal, "Standard")], [])) == set()
}

test_standard_load_balancer_without_nsg_is_closed_basic_open if {
	exposed(behind_lb(null, null, [lb_path("inboundNatRules", nat_rule(22), public_fe, "Standard")], [])) == set()
	exposed(behind_lb(null, null, [lb_path("inboundNatRules", nat_rule(22), public_fe, null)], [])) == {22}
}

test_a_rule_for_another_asg_does_not_apply if {
	n := nsg("n", [allow_to_asg("ssh-bastion", "22", "/asg/bastion")])
	exposed(behind_lb(n, null, [lb_path("inboundNatRules", nat_rule(22), public_fe, "Standard")], ["/asg/web"])) == set()
	exposed(behind_lb(n, null, [lb_path("inboundNatRules", nat_rule(22), public_fe, "Standard")], ["/asg/bastion"])) == {22}
}

test_a_destination_prefix_must_contain_the_address if {
	path := [lb_path("inboundNatRules", nat_rule(22), public_fe, "Standard")]
	exposed(behind_lb(nsg("n", [allow_to("one-host", "22", "10.0.1.9")]), null, path, [])) == set()
	exposed(behind_lb(nsg("n", [allow_to("subnet", "22", "10.0.1.0/24")]), null, path, [])) == {22}
	exposed(behind_lb(nsg("n", [allow_to("vnet", "22", "VirtualNetwork")]), null, path, [])) == {22}
	exposed(behind_lb(nsg("n", [allow_to("storage", "22", "Storage")]), null, path, [])) == set()
}

test_ha_ports_carry_every_port if {
	ha := {"protocol": "All", "frontendPort": 0, "backendPort": 0, "frontendIPConfiguration": {"id": "/lb/fe"}}
	exposed(behind_lb(nsg("n", [allow("ssh", "Tcp", "22")]), null, [lb_path("loadBalancingRules", ha, public_fe, "Standard")], [])) == {22}
}

test_udp_rule_needs_an_nsg_admitting_udp if {
	udp := {"protocol": "Udp", "frontendPort": 3389, "backendPort": 3389, "frontendIPConfiguration": {"id": "/lb/fe"}}
	exposed(behind_lb(nsg("n", [allow("rdp", "Tcp", "3389")]), null, [lb_path("loadBalancingRules", udp, public_fe, "Standard")], [])) == set()
}

test_floating_ip_makes_a_narrow_destination_undecided if {
	floating := object.union(nat_rule(22), {"enableFloatingIP": true})
	rel := behind_lb(nsg("n", [allow_to("subnet", "22", "10.0.1.0/24")]), null, [lb_path("inboundNatRules", floating, public_fe, "Standard")], [])
	exposed(rel) == set()
	some reason in rule.unknown with input as {"resource": vm, "related": rel} with data.kensa.params as params
	contains(reason, "rule 'subnet'")
}

test_a_load_balancer_not_in_the_inventory_is_undecided if {
	rel := behind_lb(nsg("n", [allow("ssh", "Tcp", "22")]), null, [{"id": "/lb/elsewhere/inboundnatrules/r", "pool_id": null, "kind": null, "rule": null}], [])
	exposed(rel) == set()
	some reason in rule.unknown with input as {"resource": vm, "related": rel} with data.kensa.params as params
	contains(reason, "/lb/elsewhere/inboundnatrules/r is not in the inventory")
}

scale_set := {
	"id": "/subscriptions/1111/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachineScaleSets/ss1",
	"name": "ss1",
	"type": "microsoft.compute/virtualmachinescalesets",
	"properties": {},
}

ss_related(subnet_nsg, paths) := {"nic_configurations": [{
	"name": "ss1-nic",
	"nsg_id": null,
	"nsg": null,
	"ip_configurations": [{
		"name": "ipconfig1",
		"subnet_id": "/vnet/subnets/s1",
		"subnet": {"id": "/vnet/subnets/s1", "properties": {"addressPrefix": "10.0.1.0/24"}},
		"subnet_nsg_id": id_of(subnet_nsg),
		"subnet_nsg": subnet_nsg,
		"public_ip_configuration": null,
		"config": {"name": "ipconfig1", "properties": {}},
		"asg_ids": [],
		"load_balancer_paths": paths,
	}],
}]}

nat_pool := {"protocol": "Tcp", "frontendPortRangeStart": 50000, "frontendPortRangeEnd": 50099, "backendPort": 22, "frontendIPConfiguration": {"id": "/lb/fe"}}

test_a_scale_set_nat_pool_exposes_its_instances if {
	rel := ss_related(nsg("s", [allow("ssh", "Tcp", "22")]), [lb_path("inboundNatPools", nat_pool, public_fe, "Standard")])
	some f in rule.deny with input as {"resource": scale_set, "related": rel} with data.kensa.params as params
	startswith(f.msg, "Instances of scale set 'ss1' are reachable from the internet on management port 22/Tcp via load balancer 'lb1' inbound NAT pool 'r1'")
	f.evidence.frontend_port == "50000-50099"
}

test_a_scale_set_with_a_prefix_narrower_than_its_subnet_is_undecided if {
	rel := ss_related(nsg("s", [allow_to("one-host", "22", "10.0.1.9")]), [lb_path("inboundNatPools", nat_pool, public_fe, "Standard")])
	count(rule.deny) == 0 with input as {"resource": scale_set, "related": rel} with data.kensa.params as params
	some reason in rule.unknown with input as {"resource": scale_set, "related": rel} with data.kensa.params as params
	contains(reason, "not in a scale set's model")
}

test_a_scale_set_prefix_outside_its_subnet_does_not_apply if {
	rel := ss_related(nsg("s", [allow_to("elsewhere", "22", "10.9.0.0/16")]), [lb_path("inboundNatPools", nat_pool, public_fe, "Standard")])
	count(rule.deny) == 0 with input as {"resource": scale_set, "related": rel} with data.kensa.params as params
	count(rule.unknown) == 0 with input as {"resource": scale_set, "related": rel} with data.kensa.params as params
}

# kensa hands over each NSG's internet rules as its own evaluation worked them out
# (`input.facts`, by NSG id); the verdict reads them instead of working them out again.
with_facts(rel, facts) := {f.evidence.port | some f in rule.deny with input as {"resource": vm, "related": rel, "facts": facts} with data.kensa.params as params}

test_the_nsg_rules_handed_over_are_the_ones_read if {
	closed := nsg("n", [])
	open := nsg("n", [allow("ssh", "Tcp", "22")])
	rules_of_open := data.kensa.lib.nsg.internet_rules(open)
	with_facts(related(closed, null, pip("Standard")), {"/nsg/n": rules_of_open}) == {22}
	with_facts(related(open, null, pip("Standard")), {}) == {22}
	with_facts(related(closed, null, pip("Standard")), {"/nsg/other": rules_of_open}) == set()
}
