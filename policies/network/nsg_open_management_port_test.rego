# The port / prefix / priority matrix from the peer survey (docs: shared notes peers §3.3):
# ranges, `*`, arrays, `0.0.0.0/0`, `Internet` in any case, deny shadowing, outbound, UDP.
package kensa.rules.network.nsg_open_management_port_test

import rego.v1

import data.kensa.rules.network.nsg_open_management_port as rule

params := {"network": {"management_ports": [22, 3389, 5985, 5986]}}

nsg(rules) := {
	"id": "/subscriptions/1111/resourceGroups/rg-net/providers/Microsoft.Network/networkSecurityGroups/nsg1",
	"name": "nsg1",
	"type": "microsoft.network/networksecuritygroups",
	"properties": {"securityRules": rules, "defaultSecurityRules": defaults},
}

defaults := [
	{"name": "AllowVnetInBound", "properties": {"protocol": "*", "sourceAddressPrefix": "VirtualNetwork", "destinationPortRange": "*", "access": "Allow", "priority": 65000, "direction": "Inbound"}},
	{"name": "AllowAzureLoadBalancerInBound", "properties": {"protocol": "*", "sourceAddressPrefix": "AzureLoadBalancer", "destinationPortRange": "*", "access": "Allow", "priority": 65001, "direction": "Inbound"}},
	{"name": "DenyAllInBound", "properties": {"protocol": "*", "sourceAddressPrefix": "*", "destinationPortRange": "*", "access": "Deny", "priority": 65500, "direction": "Inbound"}},
	{"name": "AllowInternetOutBound", "properties": {"protocol": "*", "sourceAddressPrefix": "*", "destinationAddressPrefix": "Internet", "destinationPortRange": "*", "access": "Allow", "priority": 65001, "direction": "Outbound"}},
]

r(name, priority, access, proto, src, ports) := {"name": name, "properties": {
	"protocol": proto, "sourceAddressPrefix": src, "sourceAddressPrefixes": [],
	"destinationPortRange": ports, "destinationPortRanges": [],
	"access": access, "priority": priority, "direction": "Inbound",
}}

open_ports(rules) := {f.evidence.port | some f in rule.deny with input.resource as nsg(rules) with data.kensa.params as params}

test_exact_port_from_star if open_ports([r("ssh", 100, "Allow", "Tcp", "*", "22")]) == {22}

test_range_covers_port if open_ports([r("low", 100, "Allow", "Tcp", "*", "20-25")]) == {22}

test_range_not_covering if open_ports([r("web", 100, "Allow", "Tcp", "*", "80-443")]) == set()

test_star_port_opens_all if open_ports([r("any", 100, "Allow", "*", "Internet", "*")]) == {22, 3389, 5985, 5986}

test_internet_tag_any_case if open_ports([r("rdp", 100, "Allow", "Tcp", "iNtErNeT", "3389")]) == {3389}

test_zero_cidr if open_ports([r("ssh", 100, "Allow", "Tcp", "0.0.0.0/0", "22")]) == {22}

test_any_keyword_and_ipv6 if {
	open_ports([r("a", 100, "Allow", "Tcp", "Any", "22"), r("b", 110, "Allow", "Tcp", "::/0", "5986")]) == {22, 5986}
}

test_private_source_is_not_internet if open_ports([r("ssh", 100, "Allow", "Tcp", "10.0.0.0/8", "22")]) == set()

test_plural_arrays if {
	sr := {"name": "multi", "properties": {
		"protocol": "Tcp", "sourceAddressPrefixes": ["10.1.0.0/16", "0.0.0.0/0"],
		"destinationPortRanges": ["80", "3380-3390", 5985],
		"access": "Allow", "priority": 100, "direction": "Inbound",
	}}
	open_ports([sr]) == {3389, 5985}
}

test_empty_plural_falls_back_to_singular if {
	sr := {"name": "s", "properties": {
		"protocol": "Tcp", "sourceAddressPrefix": "*", "sourceAddressPrefixes": [],
		"destinationPortRange": "22", "destinationPortRanges": [],
		"access": "Allow", "priority": 100, "direction": "Inbound",
	}}
	open_ports([sr]) == {22}
}

test_integer_port_and_priority_strings if {
	sr := {"name": "s", "properties": {"protocol": "Tcp", "sourceAddressPrefix": "*", "destinationPortRange": 22, "access": "Allow", "priority": "100", "direction": "Inbound"}}
	open_ports([sr]) == {22}
}

test_earlier_deny_shadows_allow if {
	open_ports([r("deny-ssh", 100, "Deny", "*", "*", "22"), r("allow-ssh", 200, "Allow", "Tcp", "Internet", "22")]) == set()
}

test_later_deny_does_not_shadow if {
	open_ports([r("allow-ssh", 100, "Allow", "Tcp", "*", "22"), r("deny-ssh", 200, "Deny", "*", "*", "22")]) == {22}
}

test_narrow_deny_does_not_shadow if {
	open_ports([r("deny-one", 100, "Deny", "*", "203.0.113.7", "22"), r("allow-ssh", 200, "Allow", "Tcp", "*", "22")]) == {22}
}

test_deny_range_shadows_port if {
	open_ports([r("deny-low", 100, "Deny", "Tcp", "Internet", "1-1024"), r("allow-ssh", 200, "Allow", "Tcp", "*", "22")]) == set()
}

test_tcp_deny_leaves_udp_open if {
	some f in rule.deny with input.resource as nsg([r("deny-tcp", 100, "Deny", "Tcp", "*", "3389"), r("allow-all", 200, "Allow", "*", "*", "3389")])
		with data.kensa.params as params
	f.evidence.protocol == "Udp"
	f.evidence.rule == "allow-all"
}

test_udp_rule_counts if open_ports([r("rdp-udp", 100, "Allow", "Udp", "*", "3389")]) == {3389}

test_icmp_does_not_count if open_ports([r("ping", 100, "Allow", "Icmp", "*", "*")]) == set()

test_outbound_never_counts if {
	out := {"name": "out", "properties": {"protocol": "Tcp", "sourceAddressPrefix": "*", "destinationPortRange": "22", "access": "Allow", "priority": 100, "direction": "Outbound"}}
	open_ports([out]) == set()
}

test_default_rules_alone_are_closed if open_ports([]) == set()

test_comma_list if open_ports([r("list", 100, "Allow", "Tcp", "*", "80, 22")]) == {22}

test_finding_names_rule_and_port if {
	some f in rule.deny with input.resource as nsg([r("allow-ssh", 100, "Allow", "Tcp", "*", "22")]) with data.kensa.params as params
	f.key == "22"
	f.evidence.rule == "allow-ssh"
	f.evidence.priority == 100
	contains(f.msg, "'allow-ssh'")
	f.fix == "az network nsg rule update -g rg-net --nsg-name nsg1 -n allow-ssh --access Deny"
}

test_configured_ports if {
	ports := {f.evidence.port | some f in rule.deny with input.resource as nsg([r("web", 100, "Allow", "Tcp", "*", "8443")]) with data.kensa.params as {"network": {"management_ports": [8443]}}}
	ports == {8443}
}

test_several_internet_sources_in_one_rule if {
	sr := {"name": "s", "properties": {"protocol": "Tcp", "sourceAddressPrefixes": ["Internet", "*", "0.0.0.0/0"], "destinationPortRange": "22", "access": "Allow", "priority": 100, "direction": "Inbound"}}
	some f in rule.deny with input.resource as nsg([sr]) with data.kensa.params as params
	f.evidence.source == "Internet"
}

test_same_priority_deny_wins if {
	open_ports([r("a", 100, "Allow", "Tcp", "*", "22"), r("d", 100, "Deny", "Tcp", "*", "22")]) == set()
}

# A security rule declared on its own (IaC) whose NSG is not in the files.
orphan(props) := {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/web/securityRules/ssh", "name": "web/ssh", "type": "Microsoft.Network/networkSecurityGroups/securityRules", "properties": props}

test_orphan_rule_opening_ssh_fails if {
	fs := {f | some f in rule.deny with input.resource as orphan(r("ssh", 100, "Allow", "Tcp", "*", "22").properties) with data.kensa.params as params}
	count(fs) == 1
	some f in fs
	f.at == ["properties", "destinationPortRange"]
	contains(f.msg, "not in the scanned files")
}

test_orphan_deny_rule_passes if {
	count({f | some f in rule.deny with input.resource as orphan(r("no", 100, "Deny", "Tcp", "*", "22").properties) with data.kensa.params as params}) == 0
}

test_unknown_source_is_undecided_with_its_path if {
	rules := [r("ssh", 100, "Allow", "Tcp", {"kensa:unknown": "parameter 'src' has no value"}, "22")]
	count(open_ports(rules)) == 0
	us := {u | some u in rule.unknown with input.resource as nsg(rules) with data.kensa.params as params}
	count(us) == 1
	some u in us
	u.at == ["properties", "securityRules", 0, "properties", "sourceAddressPrefix"]
}

test_known_closed_port_is_not_undecided if {
	rules := [r("web", 100, "Allow", "Tcp", {"kensa:unknown": "x"}, "443")]
	count({u | some u in rule.unknown with input.resource as nsg(rules) with data.kensa.params as params}) == 0
}

# Terraform plans write null for unset lists; the rule is still read (it once failed here).
test_null_destination_lists_are_read if {
	rule_with_nulls := {"name": "admin", "properties": {
		"protocol": "Tcp", "sourceAddressPrefix": "Internet", "sourceAddressPrefixes": null,
		"destinationAddressPrefix": "*", "destinationAddressPrefixes": null, "destinationApplicationSecurityGroups": null,
		"destinationPortRange": "3389", "destinationPortRanges": null,
		"access": "Allow", "priority": 120, "direction": "Inbound",
	}}
	open_ports([rule_with_nulls]) == {3389}
}

undecided_for(spec) := {u.msg | some u in rule.unknown with input.resource as nsg([r("odd", 100, "Allow", "Tcp", "*", spec)]) with data.kensa.params as params}

test_malformed_ports_are_undecided_never_passed if {
	every spec in ["65536", "22-21", "abc", "22.5"] {
		open_ports([r("odd", 100, "Allow", "Tcp", "*", spec)]) == set()
		some msg in undecided_for(spec)
		contains(msg, "is not a port")
	}
	count(undecided_for("22")) == 0
}
