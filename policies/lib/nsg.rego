# The one NSG evaluator. Every rule that asks "does this NSG let the internet reach port P?"
# calls it, whether the NSG came from Resource Graph or from an IaC file.
#
# Semantics (Azure's, see docs/decisions.md):
# - inbound rules (custom + default) are processed in priority order, lowest number first;
#   the first rule that matches the traffic decides;
# - traffic = protocol (Tcp or Udp) + destination port + a source that is the whole internet;
#   a rule matches when its protocol is that protocol or `*`, one of its destination port
#   specs (singular field or non-empty plural array; `*`, `n`, `a-b`, comma lists) covers the
#   port, and one of its sources is internet-wide (`*`, `Internet`, `Any`, `0.0.0.0/0`,
#   `0.0.0.0`, `::/0`, any case);
# - a Deny whose source is narrower (one CIDR, a service tag) does not shadow an Allow from
#   the internet, because the rest of the internet still gets through;
# - for one destination (decision_to), a rule matches only when its destination covers it:
#   `*`, `Any`, `VirtualNetwork`, a prefix containing the address (or, without an address,
#   the whole subnet), or an application security group the destination is in. A rule whose
#   coverage cannot be known makes the decision undecided (dest_match "maybe").
package kensa.lib.nsg

import rego.v1

import data.kensa.lib.util

internet_sources := {"*", "internet", "any", "0.0.0.0/0", "0.0.0.0", "::/0"}

# ARM carries singular and plural forms side by side, the plural often `[]`:
# a non-empty plural wins, else the singular, else nothing.
field_values(props, singular, plural) := [sprintf("%v", [v]) | some v in props[plural]] if {
	is_array(props[plural])
	count(props[plural]) > 0
} else := [sprintf("%v", [props[singular]])] if {
	props[singular] != null
} else := []

port_specs(props) := {trim_space(p) |
	some v in field_values(props, "destinationPortRange", "destinationPortRanges")
	some p in split(v, ",")
}

# A port spec as an inclusive [low, high] range; undefined for specs that are not ports.
port_range("*") := [0, 65535]

port_range(spec) := [n, n] if {
	n := port_number(spec)
}

port_range(spec) := [low, high] if {
	b := split(spec, "-")
	count(b) == 2
	low := port_number(b[0])
	high := port_number(b[1])
	low <= high
}

# A port in decimal digits (leading zeros allowed, as Azure reads them); `1e3`, `22.0`,
# `+22` or `0x16` are not ports, whatever to_number makes of them. (Digits only: trimming
# them leaves nothing: regorus hands each call a copy of its cached regular expression
# whose search cache starts empty.)
port_number(s) := n if {
	t := trim_space(s)
	t != ""
	trim(t, "0123456789") == ""
	digits := trim_left(t, "0")
	count(digits) <= 5
	n := to_number(concat("", [digits, "0"])) / 10
	n <= 65535
}

# Inbound Allow rules from the internet with a port spec that is not a port (`65536`,
# `22-21`, `abc`): Azure would reject them, so what they mean cannot be known. Records of
# `internet_rules`; each as {"rule", "spec"}.
malformed_ports(rules) := [{"rule": rec.name, "spec": spec, "at": array.concat(rec.base, [port_field(rec.props)])} |
	some rec in rules
	rec.allow
	some spec in rec.ports
	not port_range(spec)
]

# The first internet-wide source of a rule (a function must have one value).
internet_source(props) := sources[0] if {
	sources := [s | some s in field_values(props, "sourceAddressPrefix", "sourceAddressPrefixes"); lower(trim_space(s)) in internet_sources]
	count(sources) > 0
}

# The inbound rules that can decide internet traffic (custom and default, internet-wide
# source), each read once into a small record, in the order Azure processes them: by
# priority, Deny first on an (invalid) tie. Rules with narrower sources never decide
# traffic from the whole internet, so they are left out.
internet_rules(nsg) := [records[x[2]] |
	records := [rec |
		some [r, at] in located_rules(nsg)
		lower(object.get(r.properties, "direction", "")) == "inbound"
		source := internet_source(r.properties)
		rec := record(r, source, at)
	]
	some x in sort([[rec.priority, rec.rank, i] | some i, rec in records])
]

# The internet rules of the NSG under evaluation (a rule: worked out once per evaluation).
# kensa hands them to the inputs of the machines behind the NSG as `input.facts[<NSG id>]`
# (see `rules_of`).
input_rules := internet_rules(input.resource) if util.input_type == "microsoft.network/networksecuritygroups"

# The internet rules of NSG `row` (`id` as `input.related` names it): as the NSG's own
# evaluation worked them out, when kensa handed them over, else here.
rules_of(id, row) := rules if {
	rules := object.get(input, ["facts", id], null)
	rules != null
} else := internet_rules(row)

# Custom and default rules, each with the JSON path of its properties (IaC findings point
# at the rule's line through it).
located_rules(nsg) := array.concat(
	[[r, ["properties", "securityRules", i, "properties"]] | some i, r in custom_rules(nsg)],
	[[r, ["properties", "defaultSecurityRules", i, "properties"]] | some i, r in object.get(nsg, ["properties", "defaultSecurityRules"], [])],
)

custom_rules(nsg) := rules if {
	rules := object.get(nsg, ["properties", "securityRules"], [])
	is_array(rules)
} else := []

# The field that carries a rule's destination ports (plural when non-empty).
port_field(props) := "destinationPortRanges" if {
	is_array(props.destinationPortRanges)
	count(props.destinationPortRanges) > 0
} else := "destinationPortRange"

record(r, source, at) := {
	"name": r.name,
	"base": at,
	"props": r.properties,
	"priority": to_number(r.properties.priority),
	"rank": rank(r.properties.access),
	"allow": lower(r.properties.access) == "allow",
	"protocol": lower(object.get(r.properties, "protocol", "*")),
	"source": source,
	"ports": sort(specs),
	"ranges": [rg | some spec in specs; rg := port_range(spec)],
	"destinations": dests,
	"destination_asgs": asgs,
	"destination_kind": destination_kind(r.properties, dests, asgs),
} if {
	specs := port_specs(r.properties)
	dests := field_values(r.properties, "destinationAddressPrefix", "destinationAddressPrefixes")
	asgs := destination_asgs(r.properties)
}

rank(access) := 0 if lower(access) == "deny"

else := 1

covers(rec, port, proto) if {
	rec.protocol in {"*", proto}
	covers_port(rec, port)
}

# Whether one of the record's port ranges holds `port`, whatever the protocol.
covers_port(rec, port) if {
	some rg in rec.ranges
	rg[0] <= port
	port <= rg[1]
}

# The record that decides internet traffic to `port` over `proto` (rules: internet_rules).
decision(rules, port, proto) := [rec | some rec in rules; covers(rec, port, proto)][0]

allows(rules, port, proto) := rec if {
	rec := decision(rules, port, proto)
	rec.allow
}

# The same for one destination: the first rule that covers the traffic and may apply to
# `dest`, with how sure that is ("yes" or "maybe").
decision_to(rules, port, proto, dest) := [[rec, m] |
	some rec in rules
	# `covers`, written out (no call): asked for every record, port and protocol of every
	# path.
	rec.protocol in {"*", proto}
	some rg in rec.ranges
	rg[0] <= port
	port <= rg[1]
	m := dest_match(rec, dest)
	m != "no"
][0]

# The rule that admits internet traffic to `dest` on `port`, undefined otherwise.
allows_to(rules, port, proto, dest) := rec if {
	[rec, "yes"] := decision_to(rules, port, proto, dest)
	rec.allow
}

# The rule that may or may not apply to `dest` and so leaves the decision open.
undecided_to(rules, port, proto, dest) := rec if {
	[rec, "maybe"] := decision_to(rules, port, proto, dest)
}

# --- Destinations -------------------------------------------------------------------------
# A destination: {"ip": private address or null, "prefixes": the subnet's prefixes (used
# when the address is not known: scale sets, dynamic IaC addresses), "asgs": application
# security group ids (lower case), "asgs_known": false when IaC leaves them unknown,
# "floating": true when a load balancer rule with floating IP delivers to the frontend's
# address rather than the NIC's}.

destination_asgs(props) := [lower(id) |
	some g in util.list(object.get(props, "destinationApplicationSecurityGroups", []))
	id := object.get(g, "id", "")
	is_string(id)
]

# Read once per rule: "unknown" (IaC), "any" (`*`, `Any`, `0.0.0.0/0`, or no destination
# written at all), else "specific" (prefixes, tags, application security groups).
destination_kind(props, dests, asgs) := "unknown" if {
	util.may_be_unknown
	util.unknown(object.get(props, "destinationAddressPrefix", null))
} else := "unknown" if {
	util.may_be_unknown
	util.any_unknown(util.list(object.get(props, "destinationAddressPrefixes", [])))
} else := "unknown" if {
	util.may_be_unknown
	util.unknown(object.get(props, "destinationApplicationSecurityGroups", []))
} else := "any" if {
	count(dests) == 0
	count(asgs) == 0
} else := "any" if {
	count(asgs) == 0
	names_any(dests)
} else := "specific"

names_any(dests) if {
	some p in dests
	lower(trim_space(p)) in {"*", "any", "0.0.0.0/0"}
}

# "yes", "no" or "maybe": whether rule record `rec` applies to destination `dest`.
dest_match(rec, dest) := "maybe" if {
	rec.destination_kind == "unknown"
} else := "yes" if {
	rec.destination_kind == "any"
} else := best({m |
	some p in rec.destinations
	trim_space(p) != ""
	m := prefix_match(trim_space(p), dest)
} | asg_match(rec, dest))

best(ms) := "yes" if "yes" in ms

else := "maybe" if "maybe" in ms

else := "no"

asg_match(rec, dest) := set() if {
	count(rec.destination_asgs) == 0
} else := {"yes"} if {
	shares_asg(rec.destination_asgs, dest.asgs)
} else := {"maybe"} if not dest.asgs_known

else := {"no"}

shares_asg(mine, theirs) if {
	some g in mine
	g in theirs
}

prefix_match(p, _) := "yes" if lower(p) in {"*", "any", "0.0.0.0/0"}

prefix_match(p, dest) := "yes" if {
	lower(p) == "virtualnetwork"
	not dest.floating
}

prefix_match(p, dest) := "maybe" if {
	lower(p) == "virtualnetwork"
	dest.floating
}

prefix_match(p, dest) := m if {
	is_address(p)
	not lower(p) in {"*", "any", "0.0.0.0/0"}
	m := address_match(cidr(p), dest)
}

# Service tags other than VirtualNetwork (Internet, AzureLoadBalancer, Storage…) never
# name a VM's private address.
prefix_match(p, _) := "no" if {
	not is_address(p)
	not lower(p) in {"*", "any", "virtualnetwork"}
}

# An IPv4/IPv6 address or prefix, as opposed to a service tag (tags start with a letter and
# have no colon; a regular expression here would cost more than the whole path check).
is_address(p) if substring(p, 0, 1) in {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

is_address(p) if contains(p, ":")

cidr(p) := p if contains(p, "/")

else := sprintf("%s/32", [p]) if not contains(p, ":")

else := sprintf("%s/128", [p])

address_match(c, dest) := "maybe" if {
	dest.floating
} else := "yes" if {
	dest.ip != null
	net.cidr_contains(c, dest.ip)
} else := "no" if {
	dest.ip != null
} else := "yes" if {
	count(dest.prefixes) > 0
	every s in dest.prefixes {
		net.cidr_contains(c, s)
	}
} else := "no" if {
	count(dest.prefixes) > 0
	every s in dest.prefixes {
		not overlaps(c, s)
	}
} else := "maybe"

# Two CIDR blocks overlap exactly when one contains the other.
overlaps(a, b) if net.cidr_contains(a, b)

overlaps(a, b) if net.cidr_contains(b, a)

# The ports of `ports` that an Allow among `rules` (internet_rules) covers over some protocol:
# only these can be open, so `exposure` need not be asked for the others (most NSGs allow
# none of them, and asking costs a third of an NSG's evaluation).
allowed_ports(rules, ports) := {port |
	some port in ports
	some rec in rules
	rec.allow
	covers_port(rec, port)
}

# Facts about the rule that opens `port` to the internet (Tcp preferred), undefined when
# closed. `rules` is internet_rules(nsg).
exposure(nsg_name, rules, port) := facts(nsg_name, rec, port, "Tcp") if {
	rec := allows(rules, port, "tcp")
} else := facts(nsg_name, rec, port, "Udp") if {
	rec := allows(rules, port, "udp")
}

facts(nsg_name, rec, port, proto) := {
	"at": array.concat(rec.base, [port_field(rec.props)]),
	"nsg": nsg_name,
	"rule": rec.name,
	"priority": rec.priority,
	"protocol": proto,
	"source": rec.source,
	"destination_ports": rec.ports,
	"port": port,
}

# IaC values only known at deployment arrive as {"kensa:unknown": reason}. A rule with such a
# value in a field that decides internet exposure may open `port`: the answer is unknown,
# never a silent pass. Returns {"reason", "at"} for the first such rule, undefined when every
# rule is known or none could open the port.
maybe_opens(nsg, port) := hits[0] if {
	hits := array.concat(
		[{"reason": sprintf("securityRules: %s", [util.unknown(rules)]), "at": ["properties", "securityRules"]} |
			rules := object.get(nsg, ["properties", "securityRules"], [])
			util.unknown(rules)
		],
		[{"reason": sprintf("rule '%s': %s", [object.get(r, "name", "?"), why]), "at": array.concat(at, [field])} |
			some [r, at] in located_rules(nsg)
			some [field, why] in unknown_fields(r.properties)
			could_open(r.properties, port)
		],
	)
	count(hits) > 0
}

decisive := ["direction", "access", "protocol", "sourceAddressPrefix", "sourceAddressPrefixes", "destinationPortRange", "destinationPortRanges", "priority"]

unknown_fields(props) := [[f, why] |
	some f in decisive
	why := unknown_in(object.get(props, f, null))
]

unknown_in(v) := util.unknown(v)

# The first unknown member: one value even when several are unknown (a function that
# yields two fails the rule).
unknown_in(v) := whys[0] if {
	is_array(v)
	whys := [why | some item in v; why := util.unknown(item)]
}

# Whether the known fields of a rule leave room for it to admit the internet to `port`.
could_open(props, port) if {
	maybe(props, "direction", {"inbound"})
	maybe(props, "access", {"allow"})
	maybe(props, "protocol", {"*", "tcp", "udp"})
	maybe_source(props)
	maybe_port(props, port)
}

maybe(props, field, allowed) if util.unknown(object.get(props, field, null))

maybe(props, field, allowed) if lower(object.get(props, field, "*")) in allowed

maybe_source(props) if {
	some f in ["sourceAddressPrefix", "sourceAddressPrefixes"]
	unknown_in(object.get(props, f, null))
}

maybe_source(props) if internet_source(props)

maybe_port(props, _) if {
	some f in ["destinationPortRange", "destinationPortRanges"]
	unknown_in(object.get(props, f, null))
}

maybe_port(props, port) if {
	some spec in port_specs(props)
	rg := port_range(spec)
	rg[0] <= port
	port <= rg[1]
}
