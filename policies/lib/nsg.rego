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
#   the internet, because the rest of the internet still gets through.
package kensa.lib.nsg

import rego.v1

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

port_range(spec) := [n, n] if n := to_number(spec)

port_range(spec) := [to_number(trim_space(b[0])), to_number(trim_space(b[1]))] if {
	b := split(spec, "-")
	count(b) == 2
}

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
		some r in array.concat(
			object.get(nsg, ["properties", "securityRules"], []),
			object.get(nsg, ["properties", "defaultSecurityRules"], []),
		)
		lower(object.get(r.properties, "direction", "")) == "inbound"
		source := internet_source(r.properties)
		rec := record(r, source)
	]
	some x in sort([[rec.priority, rec.rank, i] | some i, rec in records])
]

record(r, source) := {
	"name": r.name,
	"priority": to_number(r.properties.priority),
	"rank": rank(r.properties.access),
	"allow": lower(r.properties.access) == "allow",
	"protocol": lower(object.get(r.properties, "protocol", "*")),
	"source": source,
	"ports": sort(specs),
	"ranges": [rg | some spec in specs; rg := port_range(spec)],
} if {
	specs := port_specs(r.properties)
}

rank(access) := 0 if lower(access) == "deny"

else := 1

covers(rec, port, proto) if {
	rec.protocol in {"*", proto}
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

# Facts about the rule that opens `port` to the internet (Tcp preferred), undefined when
# closed. `rules` is internet_rules(nsg).
exposure(nsg_name, rules, port) := facts(nsg_name, rec, port, "Tcp") if {
	rec := allows(rules, port, "tcp")
} else := facts(nsg_name, rec, port, "Udp") if {
	rec := allows(rules, port, "udp")
}

facts(nsg_name, rec, port, proto) := {
	"nsg": nsg_name,
	"rule": rec.name,
	"priority": rec.priority,
	"protocol": proto,
	"source": rec.source,
	"destination_ports": rec.ports,
	"port": port,
}
