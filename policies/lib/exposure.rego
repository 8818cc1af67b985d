# End-to-end reachability of a VM or a scale set's instances from the internet, built on the
# NSG evaluator. The inventory resolves the relations (docs/policy-authoring.md): for a VM,
# input.related.nics[] with their NSG and, per IP configuration, the subnet and its NSG, the
# public IP and every load balancer path (`load_balancer_paths`); for a scale set,
# input.related.nic_configurations[] of its model, likewise. What those mean is decided here.
#
# A path is a door from the internet to one IP configuration:
# - a public IP on it ("public IP"), or per-instance public IPs of a scale set model;
# - a load balancer rule on a public frontend that forwards to it: an inbound NAT rule it
#   names, an inbound NAT pool its scale set names, or a NAT rule over a port range or a
#   load-balancing rule whose backend pool it is in. The rule's backend port is the port
#   that arrives (0 with protocol All: every port); internal frontends are never a door.
# Through a door, port P over a protocol is open when every NSG on the path (the NIC's and
# the subnet's) admits the internet to P for that IP configuration; with no NSG at either
# level only Basic SKUs (public IP, load balancer; a missing SKU is Basic) are open.
package kensa.lib.exposure

import rego.v1

import data.kensa.lib.nsg
import data.kensa.lib.util

scale_set := util.is_type(input.resource, "microsoft.compute/virtualmachinescalesets")

# Every IP configuration of the machine with the NIC-level NSG over it.
targets := array.concat(
	[t |
		some nic in object.get(input.related, "nics", [])
		some ipc in nic.ip_configurations
		t := {
			"nic": object.get(nic, ["resource", "name"], nic.id),
			"nic_id": nic.id,
			"nsg_id": nic.nsg_id,
			"nsg": nic.nsg,
			"nsg_ref": object.get(nic, ["resource", "properties", "networkSecurityGroup", "id"], null),
			"ipc": ipc,
		}
	],
	[t |
		some cfg in object.get(input.related, "nic_configurations", [])
		some ipc in cfg.ip_configurations
		t := {
			"nic": cfg.name,
			"nic_id": cfg.name,
			"nsg_id": cfg.nsg_id,
			"nsg": cfg.nsg,
			"nsg_ref": model_nsg_ref(cfg.name),
			"ipc": ipc,
		}
	],
)

model_nsg_ref(name) := [ref |
	some c in object.get(input.resource, ["properties", "virtualMachineProfile", "networkProfile", "networkInterfaceConfigurations"], [])
	c.name == name
	ref := object.get(c, ["properties", "networkSecurityGroup", "id"], null)
][0]

# Every NSG on any path, read once per evaluation: NSG id -> nsg.internet_rules.
rules_by_nsg[id] := nsg.internet_rules(row) if {
	some t in targets
	some [id, row] in [[t.nsg_id, t.nsg], [t.ipc.subnet_nsg_id, t.ipc.subnet_nsg]]
	row != null
}

# --- Doors ----------------------------------------------------------------------------------

# The doors of target `t` that are known: each with the ports it carries ("all", or one
# backend port), its protocols, the SKU that decides when no NSG applies, and its facts.
doors(t) := array.concat(ip_doors(t), [d | some lp in object.get(t.ipc, "load_balancer_paths", []); d := lb_door(lp)])

ip_doors(t) := [{
	"via": "public IP",
	"all_ports": true,
	"protocols": ["tcp", "udp"],
	"sku": sku_of(object.get(t.ipc, "public_ip", {})),
	"floating": false,
	"facts": {"public_ip": public_ip_label(t.ipc)},
}] if {
	object.get(t.ipc, "public_ip_id", null) != null
} else := [{
	"via": "instance public IPs",
	"all_ports": true,
	"protocols": ["tcp", "udp"],
	"sku": sku_name(object.get(t.ipc, ["config", "properties", "publicIPAddressConfiguration", "sku", "name"], null)),
	"floating": false,
	"facts": {"public_ip": sprintf("per-instance public IPs ('%s')", [t.ipc.public_ip_configuration])},
}] if {
	object.get(t.ipc, "public_ip_configuration", null) != null
} else := []

lb_door(lp) := {
	"via": kind_label[lp.kind],
	"all_ports": all_ports(lp.rule),
	"backend_port": to_number(lp.rule.properties.backendPort),
	"protocols": protocols(lp.rule.properties),
	"sku": sku_name(object.get(lp, "load_balancer_sku", null)),
	"floating": flag(object.get(lp.rule.properties, "enableFloatingIP", false)),
	"facts": {
		"load_balancer": lp.load_balancer_name,
		"lb_rule": lp.rule.name,
		"frontend": frontend_label(lp),
		"frontend_port": frontend_port(lp.rule.properties),
	},
} if {
	lp.rule != null
	lp.frontend != null
	public_frontend(lp.frontend)
	is_number(to_number(lp.rule.properties.backendPort))
}

kind_label := {
	"inboundNatRules": "inbound NAT rule",
	"inboundNatPools": "inbound NAT pool",
	"loadBalancingRules": "load-balancing rule",
}

# HA ports: backend port 0 over All carries every port.
all_ports(rule) := true if {
	to_number(rule.properties.backendPort) == 0
	lower(object.get(rule.properties, "protocol", "")) in {"all", "*"}
} else := false

flag(v) := true if util.truthy(v)

else := false

protocols(props) := ["tcp"] if lower(props.protocol) == "tcp"

else := ["udp"] if lower(props.protocol) == "udp"

else := ["tcp", "udp"] if lower(props.protocol) in {"all", "*"}

public_frontend(fe) if {
	some f in ["publicIPAddress", "publicIPPrefix"]
	id := object.get(fe, ["properties", f, "id"], null)
	is_string(id)
	id != ""
}

frontend_label(lp) := sprintf("%s (%s)", [lp.frontend_public_ip.name, lp.frontend_public_ip.properties.ipAddress]) if {
	lp.frontend_public_ip.properties.ipAddress
} else := lp.frontend_public_ip.name if {
	lp.frontend_public_ip.name
} else := object.get(lp.frontend, "name", lp.frontend_id)

frontend_port(props) := sprintf("%v-%v", [props.frontendPortRangeStart, props.frontendPortRangeEnd]) if {
	props.frontendPortRangeStart
	props.frontendPortRangeEnd
} else := "all" if {
	to_number(object.get(props, "frontendPort", 0)) == 0
} else := sprintf("%v", [props.frontendPort])

sku_of(resource) := sku_name(object.get(resource, ["sku", "name"], null))

# A SKU name in lower case; none means Basic (the API's default).
sku_name(s) := lower(s) if is_string(s)

else := "basic"

carries(door, _) if door.all_ports

carries(door, port) if door.backend_port == port

# --- Destinations ---------------------------------------------------------------------------

# What the NSG rules' destinations are matched against for target `t` through `door`.
destination(t, door) := {
	"ip": private_ip(t),
	"prefixes": subnet_prefixes(t),
	"asgs": {lower(a) | some a in object.get(t.ipc, "asg_ids", [])},
	"asgs_known": asgs_known(t),
	"floating": door.floating,
}

asgs_known(t) := false if {
	util.unknown(object.get(t.ipc, ["config", "properties", "applicationSecurityGroups"], []))
} else := true

# A scale set's instance addresses are not in its model; a VM's may be left to Azure (IaC).
private_ip(t) := split(ip, "/")[0] if {
	not scale_set
	ip := object.get(t.ipc, ["config", "properties", "privateIPAddress"], null)
	is_string(ip)
	ip != ""
} else := null

subnet_prefixes(t) := [p |
	some p in nsg.field_values(object.get(t.ipc, ["subnet", "properties"], {}), "addressPrefix", "addressPrefixes")
	nsg.is_address(p)
]

# --- Open paths -----------------------------------------------------------------------------

# Level (NIC or subnet) `id` lets the traffic through to `dest`: no NSG, or its rules admit it.
level_allows(id, _, _, _) := {"rule": null} if id == null

level_allows(id, port, proto, dest) := {"rule": rec.name} if {
	rec := nsg.allows_to(rules_by_nsg[id], port, proto, dest)
}

open(t, door, port, proto) := [nic_level, subnet_level] if {
	not no_nsg(t)
	dest := destination(t, door)
	nic_level := level_allows(t.nsg_id, port, proto, dest)
	subnet_level := level_allows(t.ipc.subnet_nsg_id, port, proto, dest)
}

# Without any NSG only Basic SKUs are open (Standard denies inbound unless an NSG allows).
open(t, door, _, _) := [{"rule": null}, {"rule": null}] if {
	no_nsg(t)
	door.sku == "basic"
}

no_nsg(t) if {
	t.nsg_id == null
	t.ipc.subnet_nsg_id == null
}

# Every open path to `port`, each as the facts a finding shows.
paths(port) := [p |
	some t in targets
	resolved(t)
	some door in doors(t)
	carries(door, port)
	p := first_open(t, door, port)
]

first_open(t, door, port) := [facts(t, door, port, proto, levels) |
	some proto in door.protocols
	levels := open(t, door, port, proto)
][0]

facts(t, door, port, proto, levels) := object.union(door.facts, {
	"path": door.via,
	"nic": t.nic,
	"ip_configuration": t.ipc.name,
	"protocol": proto_label[proto],
	"nic_nsg_rule": rule_name(t.nsg, levels[0].rule),
	"subnet_nsg_rule": rule_name(t.ipc.subnet_nsg, levels[1].rule),
})

proto_label := {"tcp": "Tcp", "udp": "Udp"}

rule_name(row, rule) := sprintf("%s/%s", [row.name, rule]) if rule != null

else := null

public_ip_label(ipc) := sprintf("%s (%s)", [ipc.public_ip.name, ipc.public_ip.properties.ipAddress]) if {
	ipc.public_ip.properties.ipAddress
} else := object.get(ipc, ["public_ip", "name"], ipc.public_ip_id)

# Whether the machine faces the internet through any door at all (whatever the port).
internet_facing if {
	some t in targets
	count(doors(t)) > 0
}

# --- What cannot be decided -----------------------------------------------------------------

resolved(t) if not unresolved_reason(t)

# Why target `t` cannot be judged (the first reason, in this order); undefined when it can.
unresolved_reason(t) := sprintf("NSG of %s: %s", [t.nic, why]) if {
	# IaC: a link only known at deployment.
	util.may_be_unknown
	why := util.unknown(t.nsg_ref)
} else := sprintf("%s of IP configuration %s of %s: %s", [hit[0], t.ipc.name, t.nic, hit[1]]) if {
	util.may_be_unknown
	hits := [[field, why] |
		some [field, jpath] in [
			["subnet", ["properties", "subnet", "id"]],
			["public IP", ["properties", "publicIPAddress", "id"]],
		]
		why := util.unknown(object.get(t.ipc, array.concat(["config"], jpath), null))
	]
	count(hits) > 0
	hit := hits[0]
} else := sprintf("NSG %s of %s is not in the inventory", [t.nsg_id, t.nic]) if {
	t.nsg_id != null
	t.nsg == null
} else := sprintf("NSG %s of subnet %s is not in the inventory", [t.ipc.subnet_nsg_id, t.ipc.subnet_id]) if {
	t.ipc.subnet_nsg_id != null
	t.ipc.subnet_nsg == null
} else := sprintf("subnet %s of %s is not in the inventory", [t.ipc.subnet_id, t.nic]) if {
	t.ipc.subnet_id != null
	t.ipc.subnet == null
} else := sprintf("public IP %s of %s is not in the inventory (its SKU decides)", [t.ipc.public_ip_id, t.nic]) if {
	no_nsg(t)
	object.get(t.ipc, "public_ip_id", null) != null
	t.ipc.public_ip == null
}

# A door that may exist but cannot be judged: a load balancer part not in the inventory, a
# frontend, port or protocol only known at deployment, a reference list left unknown. Only
# doors that could carry a management port count.
door_unknowns(t) := array.concat(
	[why | some lp in object.get(t.ipc, "load_balancer_paths", []); why := lb_unknown(lp)],
	[why |
		util.may_be_unknown
		some field in ["loadBalancerBackendAddressPools", "loadBalancerInboundNatRules", "loadBalancerInboundNatPools", "publicIPAddressConfiguration"]
		v := object.get(t.ipc, ["config", "properties", field], [])
		why := sprintf("%s of IP configuration %s of %s: %s", [field, t.ipc.name, t.nic, unknown_in(v)])
	],
)

unknown_in(v) := util.unknown(v)

unknown_in(v) := why if {
	is_array(v)
	some item in v
	why := util.unknown(object.get(item, "id", null))
}

lb_unknown(lp) := sprintf("%s is not in the inventory (its load balancer was not read)", [lp.id]) if {
	lp.rule == null
} else := sprintf("frontend %s of load balancer %s is not in the inventory", [lp.frontend_id, lp.load_balancer_name]) if {
	lp.frontend_id != null
	lp.frontend == null
} else := sprintf("%s '%s' of load balancer %s: %s", [kind_label[lp.kind], lp.rule.name, lp.load_balancer_name, why]) if {
	util.may_be_unknown
	could_carry_management(lp.rule)
	hits := [why |
		some v in [
			object.get(lp.rule, ["properties", "frontendIPConfiguration", "id"], null),
			object.get(lp.frontend, ["properties", "publicIPAddress"], null),
			object.get(lp.frontend, ["properties", "publicIPAddress", "id"], null),
			object.get(lp.rule, ["properties", "backendPort"], null),
			object.get(lp.rule, ["properties", "protocol"], null),
		]
		why := util.unknown(v)
	]
	count(hits) > 0
	why := hits[0]
}

# A target that has, or may have, a door.
candidate(t) if count(doors(t)) > 0

candidate(t) if count(door_unknowns(t)) > 0

candidate(t) if {
	util.may_be_unknown
	util.unknown(object.get(t.ipc, ["config", "properties", "publicIPAddress", "id"], null))
}

# NSG rules whose coverage of the destination cannot be known, on an open door to `port`.
destination_unknowns(port) := {why |
	some t in targets
	resolved(t)
	some door in doors(t)
	carries(door, port)
	not first_open(t, door, port)
	dest := destination(t, door)
	some proto in door.protocols
	some [id, row] in [[t.nsg_id, t.nsg], [t.ipc.subnet_nsg_id, t.ipc.subnet_nsg]]
	id != null
	rec := nsg.undecided_to(rules_by_nsg[id], port, proto, dest)
	why := sprintf("port %d: whether NSG %s rule '%s' (destination %s) applies to %s of %s is not known%s", [port, row.name, rec.name, concat(", ", array.concat(rec.destinations, rec.destination_asgs)), t.ipc.name, t.nic, address_hint(t)])
}

address_hint(t) := " (the instances' addresses are not in a scale set's model; the prefix does not cover the whole subnet)" if {
	scale_set
} else := " (its private address is assigned at deployment)" if {
	private_ip(t) == null
} else := ""

# Everything that keeps the verdict open, for the rules' `unknown`.
unknowns contains reason if {
	some nic in object.get(input.related, "nics", [])
	nic.resource == null
	reason := sprintf("NIC %s is not in the inventory", [nic.id])
}

unknowns contains reason if {
	some t in targets
	candidate(t)
	reason := unresolved_reason(t)
}

unknowns contains reason if {
	some t in targets
	resolved(t)
	some reason in door_unknowns(t)
}

unknowns contains reason if {
	some port in data.kensa.params.network.management_ports
	some reason in destination_unknowns(port)
}

unknowns contains sprintf("network interface %d: %s", [i, why]) if {
	util.may_be_unknown
	some i, ref in object.get(input.resource, ["properties", "networkProfile", "networkInterfaces"], [])
	why := util.unknown(object.get(ref, "id", null))
}

# Why the machine may face the internet although no known door says so (IaC), for the JIT
# rule. A rule, not a function other packages call: regorus 0.14.1 evaluated functions of
# this package wrongly when called from another package after a rule of this one (see
# docs/decisions.md).
facing_unknowns contains why if {
	some t in targets
	candidate(t)
	count(doors(t)) == 0
	why := facing_reason(t)
}

facing_reason(t) := why if {
	why := unresolved_reason(t)
} else := why if {
	why := door_unknowns(t)[0]
} else := sprintf("public IP of %s is only known at deployment", [t.nic])

could_carry_management(rule) if util.unknown(object.get(rule, ["properties", "backendPort"], null))

could_carry_management(rule) if to_number(rule.properties.backendPort) in {p | some p in data.kensa.params.network.management_ports}

could_carry_management(rule) if to_number(rule.properties.backendPort) == 0
