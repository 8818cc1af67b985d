package kensa.rules.network.nsg_open_management_port

import rego.v1

import data.kensa.lib.nsg
import data.kensa.lib.util

metadata := {
	"id": "network.nsg-open-management-port",
	"title": "NSGs do not admit the internet to management ports",
	"severity": "high",
	"resource_types": ["microsoft.network/networksecuritygroups", "microsoft.network/networksecuritygroups/securityrules"],
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
	"snippets": {
		"arm": `{
  "name": "ssh-from-admins",
  "properties": {
    "priority": 200, "direction": "Inbound", "access": "Allow", "protocol": "Tcp",
    "sourceAddressPrefix": "[parameters('adminCidr')]",
    "sourcePortRange": "*", "destinationAddressPrefix": "*", "destinationPortRange": "22"
  }
}`,
		"terraform": `security_rule {
  name                       = "ssh-from-admins"
  priority                   = 200
  direction                  = "Inbound"
  access                     = "Allow"
  protocol                   = "Tcp"
  source_address_prefix      = var.admin_cidr # a known range, never * / Internet / 0.0.0.0/0
  source_port_range          = "*"
  destination_address_prefix = "*"
  destination_port_range     = "22"
}`,
	},
}

# The NSG as the evaluator reads it. A security rule declared on its own whose NSG is not
# in the scanned files (IaC only: live rules always arrive inside their NSG) is judged as
# an NSG holding just that rule: it opens the port unless the unseen NSG denies it first.
view := input.resource if util.input_type == "microsoft.network/networksecuritygroups"

view := {"name": nsg_name, "properties": {"securityRules": [{"name": rule_name, "properties": input.resource.properties}]}} if {
	util.input_type == "microsoft.network/networksecuritygroups/securityrules"
}

parts := split(input.resource.name, "/")

nsg_name := parts[0]

rule_name := parts[count(parts) - 1]

orphan if util.input_type == "microsoft.network/networksecuritygroups/securityrules"

# Paths into the view point into the resource itself for an orphan rule.
located(at) := array.slice(at, 3, count(at)) if orphan

else := at

# Read once per NSG (the records kensa also hands to the machines behind it), then asked
# once per port.
rules := nsg.input_rules if not orphan

else := nsg.internet_rules(view)

# The management ports some Allow covers: the others are closed (asked once).
allowed := nsg.allowed_ports(rules, data.kensa.params.network.management_ports)

deny contains finding if {
	some port in allowed
	facts := nsg.exposure(view.name, rules, port)
	rg := util.resource_group(input.resource)
	finding := {
		"msg": sprintf("NSG '%s' rule '%s' (priority %d) allows %s from '%s' to management port %d%s", [view.name, facts.rule, facts.priority, facts.protocol, facts.source, port, orphan_note]),
		"key": sprintf("%d", [port]),
		"evidence": object.remove(facts, ["at"]),
		"at": located(facts.at),
		"fix": sprintf("az network nsg rule update -g %s --nsg-name %s -n %s --access Deny", util.words([rg, view.name, facts.rule])),
		"snippets": snippets(facts.rule, facts.priority, facts.protocol, port),
	}
}

# The offending rule rewritten for this finding: its name, priority, protocol and port, the
# source narrowed to the admins' range.
snippets(name, priority, protocol, port) := {
	"arm": sprintf(`{
  "name": "%s",
  "properties": {
    "priority": %d, "direction": "Inbound", "access": "Allow", "protocol": "%s",
    "sourceAddressPrefix": "[parameters('adminCidr')]",
    "sourcePortRange": "*", "destinationAddressPrefix": "*", "destinationPortRange": "%d"
  }
}`, [name, priority, protocol, port]),
	"bicep": sprintf(`{
  name: '%s'
  properties: {
    priority: %d
    direction: 'Inbound'
    access: 'Allow'
    protocol: '%s'
    sourceAddressPrefix: adminCidr // a known range, never * / Internet / 0.0.0.0/0
    sourcePortRange: '*'
    destinationAddressPrefix: '*'
    destinationPortRange: '%d'
  }
}`, [name, priority, protocol, port]),
	"terraform": sprintf(`security_rule {
  name                       = "%s"
  priority                   = %d
  direction                  = "Inbound"
  access                     = "Allow"
  protocol                   = "%s"
  source_address_prefix      = var.admin_cidr # a known range, never * / Internet / 0.0.0.0/0
  source_port_range          = "*"
  destination_address_prefix = "*"
  destination_port_range     = "%d"
}`, [name, priority, protocol, port]),
}

orphan_note := " (the NSG is not in the scanned files: only a Deny before it would close the port)" if orphan

else := ""

# IaC: a rule whose decisive fields are only known at deployment may open the port.
# Whether any decisive value of this NSG is only known at deployment (asked once).
uncertain if {
	util.may_be_unknown
	util.unknown(object.get(view, ["properties", "securityRules"], []))
}

uncertain if {
	util.may_be_unknown
	some [r, _] in nsg.located_rules(view)
	count(nsg.unknown_fields(r.properties)) > 0
}

unknown contains {"msg": msg, "at": located(hit.at)} if {
	uncertain
	some port in data.kensa.params.network.management_ports
	not nsg.exposure(view.name, rules, port)
	hit := nsg.maybe_opens(view, port)
	msg := sprintf("port %d: %s", [port, hit.reason])
}

# A port spec that is not a port may be meant to open a management port: never a pass.
unknown contains {"msg": msg, "at": located(bad.at)} if {
	some bad in nsg.malformed_ports(rules)
	msg := sprintf("rule '%s': destination port %q is not a port or range (0-65535)", [bad.rule, bad.spec])
}
