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

port_in_spec(_, "*") := true

port_in_spec(port, spec) if to_number(spec) == port

port_in_spec(port, spec) if {
	bounds := split(spec, "-")
	count(bounds) == 2
	to_number(trim_space(bounds[0])) <= port
	port <= to_number(trim_space(bounds[1]))
}

internet_source(props) := s if {
	some s in field_values(props, "sourceAddressPrefix", "sourceAddressPrefixes")
	lower(trim_space(s)) in internet_sources
}

protocol_matches(props, proto) if lower(object.get(props, "protocol", "*")) in {"*", proto}

matches(rule, port, proto) if {
	props := rule.properties
	lower(object.get(props, "direction", "")) == "inbound"
	protocol_matches(props, proto)
	some spec in port_specs(props)
	port_in_spec(port, spec)
	internet_source(props)
}

inbound_rules(nsg) := array.concat(
	object.get(nsg, ["properties", "securityRules"], []),
	object.get(nsg, ["properties", "defaultSecurityRules"], []),
)

# The rule that decides internet traffic to `port` over `proto`; Deny wins a (invalid) tie.
decision(nsg, port, proto) := rules[first[2]] if {
	rules := inbound_rules(nsg)
	candidates := sort([[to_number(r.properties.priority), deny_first(r), i] |
		some i, r in rules
		matches(r, port, proto)
	])
	first := candidates[0]
}

deny_first(r) := 0 if lower(r.properties.access) == "deny"

else := 1

allows(nsg, port, proto) := r if {
	r := decision(nsg, port, proto)
	lower(r.properties.access) == "allow"
}

# The Allow rule that exposes `port` (Tcp preferred over Udp), undefined when closed.
exposing_rule(nsg, port) := r if {
	r := allows(nsg, port, "tcp")
} else := r if {
	r := allows(nsg, port, "udp")
}

exposing_protocol(nsg, port) := "Tcp" if allows(nsg, port, "tcp")

else := "Udp"

# Facts about an exposing rule, for messages and evidence.
describe(nsg, port) := {
	"nsg": nsg.name,
	"rule": r.name,
	"priority": to_number(r.properties.priority),
	"protocol": exposing_protocol(nsg, port),
	"source": internet_source(r.properties),
	"destination_ports": sort([p | some p in port_specs(r.properties)]),
	"port": port,
} if {
	r := exposing_rule(nsg, port)
}
