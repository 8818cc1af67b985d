package kensa.rules.network.nsg_open_management_port

import rego.v1

import data.kensa.lib.nsg
import data.kensa.lib.util

metadata := {
	"id": "network.nsg-open-management-port",
	"title": "NSGs do not admit the internet to management ports",
	"severity": "high",
	"resource_types": ["microsoft.network/networksecuritygroups"],
	"description": concat(" ", [
		"Fails for each management port (`network.management_ports`, default 22, 3389, 5985,",
		"5986) that an inbound Allow rule opens to the whole internet and that no earlier",
		"(lower priority number) Deny with an internet-wide source closes first. Sources count",
		"as the internet when they are `*`, `Internet`, `Any`, `0.0.0.0/0`, `0.0.0.0` or `::/0`",
		"in any case, in `sourceAddressPrefix` or `sourceAddressPrefixes`. Ports may be exact,",
		"`*`, ranges `a-b` or comma lists, singular or plural. Tcp, Udp and `*` count; outbound",
		"rules never do. One finding per NSG and port, naming the rule that opens it.",
	]),
	"remediation": "Delete the rule or restrict its source to known admin ranges, and let admins in through Just-In-Time access or Azure Bastion.",
	"help": "SSH, RDP and WinRM facing the internet are brute-forced within minutes of exposure. JIT opens them for one source address, for hours, on request.",
}

# Read once per NSG, then asked once per port.
rules := nsg.internet_rules(input.resource)

deny contains finding if {
	util.is_type(input.resource, "microsoft.network/networksecuritygroups")
	some port in data.kensa.params.network.management_ports
	facts := nsg.exposure(input.resource.name, rules, port)
	rg := util.resource_group(input.resource)
	finding := {
		"msg": sprintf("NSG '%s' rule '%s' (priority %d) allows %s from '%s' to management port %d", [input.resource.name, facts.rule, facts.priority, facts.protocol, facts.source, port]),
		"key": sprintf("%d", [port]),
		"evidence": object.remove(facts, ["at"]),
		"at": facts.at,
		"fix": sprintf("az network nsg rule update -g %s --nsg-name %s -n %s --access Deny", [rg, input.resource.name, facts.rule]),
	}
}

# IaC: a rule whose decisive fields are only known at deployment may open the port.
unknown contains {"msg": msg, "at": hit.at} if {
	util.is_type(input.resource, "microsoft.network/networksecuritygroups")
	some port in data.kensa.params.network.management_ports
	not nsg.exposure(input.resource.name, rules, port)
	hit := nsg.maybe_opens(input.resource, port)
	msg := sprintf("port %d: %s", [port, hit.reason])
}
