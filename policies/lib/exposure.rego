# End-to-end reachability of a VM from the internet, built on the NSG evaluator.
# input.related.nics[] is resolved by the inventory: each NIC with its NSG and, per IP
# configuration, its subnet's NSG and its public IP (see docs/policy-authoring.md).
package kensa.lib.exposure

import rego.v1

import data.kensa.lib.nsg
import data.kensa.lib.util

# Every NSG on any path, read once per evaluation: NSG id -> nsg.internet_rules.
rules_by_nsg[id] := nsg.internet_rules(row) if {
	some nic in input.related.nics
	some [id, row] in array.concat([[nic.nsg_id, nic.nsg]], [[ipc.subnet_nsg_id, ipc.subnet_nsg] | some ipc in nic.ip_configurations])
	row != null
}

# A level (NIC or subnet) lets traffic through when it has no NSG, or its NSG allows it.
level_allows(nsg_id, _, _) if nsg_id == null

level_allows(nsg_id, port, proto) if nsg.allows(rules_by_nsg[nsg_id], port, proto)

basic_sku(pip) if lower(object.get(pip, ["sku", "name"], "basic")) == "basic"

# Paths from the internet to `port`: one per NIC IP configuration with a public IP.
paths(port) := [p |
	some nic in input.related.nics
	some ipc in nic.ip_configurations
	ipc.public_ip_id != null
	resolved(nic, ipc)
	p := path(nic, ipc, port)
]

resolved(nic, ipc) if {
	not unresolved_reason(nic, ipc)
}

# Why a path cannot be judged (the first reason, in this order); undefined when it can.
unresolved_reason(nic, ipc) := sprintf("NSG of NIC %s: %s", [nic.id, why]) if {
	# IaC: a link only known at deployment.
	util.may_be_unknown
	why := util.unknown(object.get(nic, ["resource", "properties", "networkSecurityGroup", "id"], null))
} else := sprintf("%s of NIC %s: %s", [hit[0], nic.id, hit[1]]) if {
	util.may_be_unknown
	hits := [[field, why] |
		some c in object.get(nic, ["resource", "properties", "ipConfigurations"], [])
		c.name == ipc.name
		some [field, jpath] in [["subnet", ["properties", "subnet", "id"]], ["public IP", ["properties", "publicIPAddress", "id"]]]
		why := util.unknown(object.get(c, jpath, null))
	]
	count(hits) > 0
	hit := hits[0]
} else := sprintf("NSG %s of NIC %s is not in the inventory", [nic.nsg_id, nic.id]) if {
	nic.nsg_id != null
	nic.nsg == null
} else := sprintf("NSG %s of subnet %s is not in the inventory", [ipc.subnet_nsg_id, ipc.subnet_id]) if {
	ipc.subnet_nsg_id != null
	ipc.subnet_nsg == null
} else := sprintf("subnet %s of NIC %s is not in the inventory", [ipc.subnet_id, nic.id]) if {
	ipc.subnet_id != null
	ipc.subnet == null
} else := sprintf("public IP %s of NIC %s is not in the inventory (its SKU decides)", [ipc.public_ip_id, nic.id]) if {
	nic.nsg_id == null
	ipc.subnet_nsg_id == null
	ipc.public_ip == null
}

# An IP configuration that has, or may have, a public IP.
candidate(nic, ipc) if ipc.public_ip_id != null

candidate(nic, ipc) if {
	util.may_be_unknown
	unknown_ips := [c |
		some c in object.get(nic, ["resource", "properties", "ipConfigurations"], [])
		c.name == ipc.name
		util.unknown(object.get(c, ["properties", "publicIPAddress", "id"], null))
	]
	count(unknown_ips) > 0
}

# IP configurations whose public IP is only known at deployment (IaC), with why. A rule,
# not a function other packages call: regorus 0.14.1 evaluated `candidate` wrongly when it
# was called from another package after a rule of this one (see docs/decisions.md).
unknown_public_ips contains why if {
	util.may_be_unknown
	some nic in input.related.nics
	some ipc in nic.ip_configurations
	ipc.public_ip_id == null
	candidate(nic, ipc)
	why := unresolved_or_unknown(nic, ipc)
}

unresolved_or_unknown(nic, ipc) := why if {
	why := unresolved_reason(nic, ipc)
} else := sprintf("public IP of NIC %s is only known at deployment", [nic.id])

# Facts of one open path (Tcp preferred), undefined when closed.
path(nic, ipc, port) := path_facts(nic, ipc, port, "tcp") if {
	open(nic, ipc, port, "tcp")
} else := path_facts(nic, ipc, port, "udp") if {
	open(nic, ipc, port, "udp")
}

path_facts(nic, ipc, port, proto) := {
	"nic": nic.resource.name,
	"public_ip": public_ip_label(ipc),
	"protocol": proto_label(proto),
	"nic_nsg_rule": rule_name(nic.nsg_id, nic.nsg, port, proto),
	"subnet_nsg_rule": rule_name(ipc.subnet_nsg_id, ipc.subnet_nsg, port, proto),
}

open(nic, ipc, port, proto) if {
	not no_nsg(nic, ipc)
	level_allows(nic.nsg_id, port, proto)
	level_allows(ipc.subnet_nsg_id, port, proto)
}

# Without any NSG only a Basic public IP is open (Standard SKU denies inbound by default).
open(nic, ipc, _, "tcp") if {
	no_nsg(nic, ipc)
	basic_sku(ipc.public_ip)
}

no_nsg(nic, ipc) if {
	nic.nsg_id == null
	ipc.subnet_nsg_id == null
}

rule_name(id, row, port, proto) := sprintf("%s/%s", [row.name, nsg.allows(rules_by_nsg[id], port, proto).name]) if row != null

else := null

proto_label("tcp") := "Tcp"

proto_label("udp") := "Udp"

public_ip_label(ipc) := sprintf("%s (%s)", [ipc.public_ip.name, ipc.public_ip.properties.ipAddress]) if {
	ipc.public_ip.properties.ipAddress
} else := object.get(ipc, ["public_ip", "name"], ipc.public_ip_id)

has_public_ip if {
	some pnic in input.related.nics
	some pipc in pnic.ip_configurations
	pipc.public_ip_id != null
}

unknowns contains reason if {
	some nic in input.related.nics
	nic.resource == null
	reason := sprintf("NIC %s is not in the inventory", [nic.id])
}

unknowns contains reason if {
	some nic in input.related.nics
	some ipc in nic.ip_configurations
	candidate(nic, ipc)
	reason := unresolved_reason(nic, ipc)
}

unknowns contains sprintf("network interface %d: %s", [i, why]) if {
	util.may_be_unknown
	some i, ref in object.get(input.resource, ["properties", "networkProfile", "networkInterfaces"], [])
	why := util.unknown(object.get(ref, "id", null))
}
