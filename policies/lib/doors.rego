# The doors of a VM or a scale set's instances from the internet: every NIC IP configuration
# (a target) and what could reach it — a public IP on it, per-instance public IPs of a scale
# set model, or a rule of a public load balancer that forwards to it (an inbound NAT rule it
# names, an inbound NAT pool its scale set names, or a NAT rule over a port range or a
# load-balancing rule whose backend pool holds it). A rule's backend port is the port that
# arrives (0 with protocol All: every port); only rules whose backend port is a management
# port (or 0) are doors here, and internal frontends never are. Whether the
# NSGs let anything through is `lib/exposure.rego`; `network.jit-required` needs only this
# package (regorus evaluates every rule of a package a policy refers to, so the NSG work
# stays out of here).
package kensa.lib.doors

import rego.v1

import data.kensa.lib.util

scale_set if util.input_type == "microsoft.compute/virtualmachinescalesets"

# Every IP configuration of the machine that may have a door, with the NIC-level NSG over
# it. The others (no public IP, no load balancer, nothing unknown) are left out at once:
# they are most machines, and everything below starts from here.
targets := array.concat(
	[t |
		some nic in object.get(input.related, "nics", [])
		some ipc in nic.ip_configurations
		may_have_doors(ipc)
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
		may_have_doors(ipc)
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

model_nsg_ref(name) := refs[0] if {
	refs := [ref |
		some c in util.list(object.get(input.resource, ["properties", "virtualMachineProfile", "networkProfile", "networkInterfaceConfigurations"], null))
		c.name == name
		ref := object.get(c, ["properties", "networkSecurityGroup", "id"], null)
	]
	count(refs) > 0
} else := null

# The doors of each target (by index into `targets`), computed once per evaluation.
doors_at[i] := doors(t) if some i, t in targets

# The indices of the targets with a door that can be judged.
resolved_at contains i if {
	some i in candidates
	not unresolved_at[i]
}

# Why a target with a door cannot be judged, by index.
unresolved_at[i] := unresolved_reason(targets[i]) if some i in candidates

# The doors of target `t` that are known: each with the ports it carries ("all", or one
# backend port), its protocols, the SKU that decides when no NSG applies, and its facts.
doors(t) := array.concat(ip_doors(t), [d | some lp in object.get(t.ipc, "load_balancer_paths", []); d := lb_door(lp)])

ip_doors(t) := [{
	"via": "public IP",
	"all_ports": true,
	"protocols": ["tcp", "udp"],
	"sku": sku_of(object.get(t.ipc, "public_ip", {})),
	"floating": false,
}] if {
	object.get(t.ipc, "public_ip_id", null) != null
} else := [{
	"via": "instance public IPs",
	"all_ports": true,
	"protocols": ["tcp", "udp"],
	"sku": sku_name(object.get(t.ipc, ["config", "properties", "publicIPAddressConfiguration", "sku", "name"], null)),
	"floating": false,
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
	"path": lp,
} if {
	lp.rule != null
	lp.frontend != null
	public_frontend(lp.frontend)
	could_carry_management(lp.rule)
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

sku_of(resource) := sku_name(object.get(resource, ["sku", "name"], null))

# A SKU name in lower case; none means Basic (the API's default).
sku_name(s) := lower(s) if is_string(s)

else := "basic"

carries(door, _) if door.all_ports

carries(door, port) if door.backend_port == port

no_nsg(t) if {
	t.nsg_id == null
	t.ipc.subnet_nsg_id == null
}

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

door_unknowns_at[i] := door_unknowns(t) if some i, t in targets

# A public IP, a load balancer path or a value left to deployment (IaC): a door may exist.
may_have_doors(ipc) if object.get(ipc, "public_ip_id", null) != null

may_have_doors(ipc) if object.get(ipc, "public_ip_configuration", null) != null

may_have_doors(ipc) if count(object.get(ipc, "load_balancer_paths", [])) > 0

may_have_doors(_) if util.may_be_unknown

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

# The first unknown member: one value even when several are unknown (a function that
# yields two fails the rule).
unknown_in(v) := whys[0] if {
	is_array(v)
	whys := [why | some item in v; why := util.unknown(object.get(item, "id", null))]
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

# The indices of the targets that have, or may have, a door.
candidates contains i if {
	some i, doors_of_target in doors_at
	count(doors_of_target) > 0
}

candidates contains i if {
	some i, whys in door_unknowns_at
	count(whys) > 0
}

candidates contains i if {
	util.may_be_unknown
	some i, t in targets
	util.unknown(object.get(t.ipc, ["config", "properties", "publicIPAddress", "id"], null))
}

# Whether the machine faces the internet through any door at all (whatever the port).
internet_facing if {
	some t in targets
	some field in ["public_ip_id", "public_ip_configuration"]
	object.get(t.ipc, field, null) != null
}

internet_facing if {
	some t in targets
	some lp in object.get(t.ipc, "load_balancer_paths", [])
	lp.frontend != null
	public_frontend(lp.frontend)
}

# Why the machine may face the internet although no known door says so (IaC), for the JIT
# rule. A rule, not a function other packages call: regorus 0.14.1 evaluated functions of
# this package wrongly when called from another package after a rule of this one (see
# docs/decisions.md).
facing_unknowns contains why if {
	some i in candidates
	count(doors_at[i]) == 0
	why := facing_reason(targets[i])
}

facing_reason(t) := why if {
	why := unresolved_reason(t)
} else := why if {
	why := door_unknowns(t)[0]
} else := sprintf("public IP of %s is only known at deployment", [t.nic])

could_carry_management(rule) if util.unknown(object.get(rule, ["properties", "backendPort"], null))

could_carry_management(rule) if to_number(rule.properties.backendPort) in {p | some p in data.kensa.params.network.management_ports}

could_carry_management(rule) if to_number(rule.properties.backendPort) == 0
