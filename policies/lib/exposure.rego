# End-to-end reachability of a VM or a scale set's instances from the internet: through each
# door (`lib/doors.rego`), port P over a protocol is open when every NSG on the path (the
# NIC's and the subnet's) admits the internet to P for that IP configuration; with no NSG at
# either level only Basic SKUs (public IP, load balancer; a missing SKU is Basic) are open.
# The inventory resolves the relations (docs/policy-authoring.md); what they mean is decided
# here and in `lib/nsg.rego`.
package kensa.lib.exposure

import rego.v1

import data.kensa.lib.doors
import data.kensa.lib.nsg
import data.kensa.lib.util

# Every NSG on a path that is judged, read once per evaluation: NSG id -> nsg.internet_rules
# (as the NSG's own evaluation worked them out, when kensa hands them over). Only those:
# regorus works out every rule of this package whenever another package reads one of them,
# and most machines with a load balancer path have no door on a management port.
rules_by_nsg[id] := nsg.rules_of(id, row) if {
	some i in doors.resolved_at
	t := doors.targets[i]
	some [id, row] in [[t.nsg_id, t.nsg], [t.ipc.subnet_nsg_id, t.ipc.subnet_nsg]]
	row != null
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

# What the NSG rules' destinations are matched against, per target (a door adds whether it
# delivers to the frontend's address: `floating`).
destinations[i] := {
	"ip": private_ip(t),
	"prefixes": subnet_prefixes(t),
	"asgs": {lower(a) | some a in object.get(t.ipc, "asg_ids", [])},
	"asgs_known": asgs_known(t),
} if {
	some i in doors.resolved_at
	t := doors.targets[i]
}

asgs_known(t) := false if {
	util.unknown(object.get(t.ipc, ["config", "properties", "applicationSecurityGroups"], []))
} else := true

# A scale set's instance addresses are not in its model; a VM's may be left to Azure (IaC).
private_ip(t) := split(ip, "/")[0] if {
	not doors.scale_set
	ip := object.get(t.ipc, ["config", "properties", "privateIPAddress"], null)
	is_string(ip)
	ip != ""
} else := null

subnet_prefixes(t) := [p |
	some p in nsg.field_values(object.get(t.ipc, ["subnet", "properties"], {}), "addressPrefix", "addressPrefixes")
	nsg.is_address(p)
]

# What one level (the NIC's or the subnet's NSG, `row`) does with traffic to `dest`:
# {"state": "open" | "closed" | "maybe", "rule": the deciding rule, …}. No NSG lets it by.
level(id, _, _, _, _) := {"state": "open", "rule": null} if id == null

level(id, row, port, proto, dest) := judged(d, row) if {
	d := nsg.decision_to(rules_by_nsg[id], port, proto, dest)
} else := {"state": "closed", "rule": null} if id != null

judged(d, row) := {"state": "maybe", "rule": d[0].name, "nsg": row.name, "rec": d[0]} if {
	d[1] == "maybe"
} else := {"state": "open", "rule": d[0].name} if {
	d[0].allow
} else := {"state": "closed", "rule": d[0].name}

# Both levels over one protocol; without any NSG only Basic SKUs are open (Standard denies
# inbound unless an NSG allows).
proto_state(t, door, port, proto, dest) := {"state": "open", "levels": [{"rule": null}, {"rule": null}]} if {
	doors.no_nsg(t)
	door.sku == "basic"
} else := {"state": "closed"} if {
	doors.no_nsg(t)
} else := both(
	level(t.nsg_id, t.nsg, port, proto, dest),
	level(t.ipc.subnet_nsg_id, t.ipc.subnet_nsg, port, proto, dest),
)

both(a, b) := {"state": "open", "levels": [a, b]} if {
	a.state == "open"
	b.state == "open"
} else := {"state": "closed"} if {
	"closed" in {a.state, b.state}
} else := {"state": "maybe", "levels": [a, b]}

# What arrives through each door on each management port it carries, worked out once per
# evaluation: {"open": facts} or {"maybe": reasons} or {"closed": true}, keyed by
# [target index, door index, port]. Each NSG decision is taken once and says both whether
# it admits the traffic and whether that is sure.
outcomes[[i, j, port]] := outcome(doors.targets[i], door, port, object.union(destinations[i], {"floating": door.floating})) if {
	some i in doors.resolved_at
	some j, door in doors.doors_at[i]
	some port in data.kensa.params.network.management_ports
	doors.carries(door, port)
}

outcome(t, door, port, dest) := verdict(t, door, port, [[proto, proto_state(t, door, port, proto, dest)] | some proto in door.protocols])

verdict(t, door, port, states) := {"open": facts(t, door, port, open[0][0], open[0][1].levels)} if {
	open := [s | some s in states; s[1].state == "open"]
	count(open) > 0
} else := {"maybe": whys} if {
	whys := {why |
		some s in states
		s[1].state == "maybe"
		some l in s[1].levels
		l.state == "maybe"
		why := sprintf("port %d: whether NSG %s rule '%s' (destination %s) applies to %s of %s is not known%s", [port, l.nsg, l.rule, concat(", ", array.concat(l.rec.destinations, l.rec.destination_asgs)), t.ipc.name, t.nic, address_hint(t)])
	}
	count(whys) > 0
} else := {"closed": true}

# The management ports with an open path (most machines have none: `paths` is asked only
# for these).
open_ports contains key[2] if {
	some key, o in outcomes
	o.open
}

# Every open path to `port`, each as the facts a finding shows.
paths(port) := [o.open |
	some key, o in outcomes
	key[2] == port
	o.open
]

# What a finding names about a door (worked out only for open paths).
door_facts(t, door) := {"public_ip": public_ip_label(t.ipc)} if {
	door.via == "public IP"
} else := {"public_ip": sprintf("per-instance public IPs ('%s')", [t.ipc.public_ip_configuration])} if {
	door.via == "instance public IPs"
} else := {
	"load_balancer": door.path.load_balancer_name,
	"lb_rule": door.path.rule.name,
	"frontend": frontend_label(door.path),
	"frontend_port": frontend_port(door.path.rule.properties),
}

facts(t, door, port, proto, levels) := object.union(door_facts(t, door), {
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

address_hint(t) := " (the instances' addresses are not in a scale set's model; the prefix does not cover the whole subnet)" if {
	doors.scale_set
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
	some reason in doors.unresolved_at
}

unknowns contains reason if {
	some i in doors.resolved_at
	some reason in doors.door_unknowns_at[i]
}

unknowns contains reason if {
	some o in outcomes
	some reason in o.maybe
}

unknowns contains sprintf("network interface %d: %s", [i, why]) if {
	util.may_be_unknown
	some i, ref in util.list(object.get(input.resource, ["properties", "networkProfile", "networkInterfaces"], null))
	why := util.unknown(object.get(ref, "id", null))
}
