# Helpers shared by the built-in rules. Resource ids and types arrive in mixed case, so every
# comparison here is on lower-cased strings.
package kensa.lib.util

import rego.v1

lower_type(r) := lower(object.get(r, "type", ""))

is_type(r, t) if lower_type(r) == t

# The type of the resource under evaluation, lower case: a rule, worked out once per
# evaluation (the rules ask it about seven times per resource; as `is_type` calls, that
# was a quarter of the calls regorus' VM made).
input_type := lower_type(input.resource)

# Resource group of an ARM id (ARG also projects `resourceGroup`, IaC resources may not).
resource_group(r) := rg if {
	rg := r.resourceGroup
	is_string(rg)
	rg != ""
} else := rg if {
	rg := id_resource_group(r.id)
} else := "<resource-group>"

# The first `resourceGroups` segment's name (one value however many such segments).
id_resource_group(id) := rg if {
	parts := split(id, "/")
	i := [n | some n, p in parts; lower(p) == "resourcegroups"][0]
	rg := parts[i + 1]
}

now_ns := time.parse_rfc3339_ns(data.kensa.now)

day_ns := (24 * 60) * (60 * 1000000000)

# Whole days between an RFC3339 timestamp and `now` (negative when in the future).
age_days(ts) := floor((now_ns - time.parse_rfc3339_ns(ts)) / day_ns)

# Azure returns boolean flags as JSON booleans, IaC sometimes as strings (any case). Only a
# string is lower-cased: the second body runs for every value but `true` (`false`, absent
# flags), which are mostly not strings.
truthy(v) if v == true

truthy(v) if {
	is_string(v)
	lower(v) == "true"
}

# An IaC value only known at deployment ({"kensa:unknown": reason}): its reason, else undefined.
unknown(v) := v["kensa:unknown"] if is_object(v)

# Whether any of `vs` is unknown.
any_unknown(vs) if {
	some v in vs
	unknown(v)
}

# Whether the input (resource or related) may hold unknown values. kensa sets
# `input.known_values` when it holds none, so rules skip their unknown checks; without the flag (tests, other callers)
# they check.
may_be_unknown if not input.known_values

# An array as it is; null, absent or anything else (Terraform plans write null for unset
# lists) as []. `some x in null` is an error, not an empty loop.
list(v) := v if is_array(v)

else := []

# A value as one shell word in a fix command: as it is when it holds only characters no
# shell reads specially, else quoted (Azure names may hold spaces, parentheses, quotes); a
# control character is written as an ANSI-C escape so the command stays on one line. (A
# word holds only plain characters when trimming them leaves nothing: a regular expression
# costs more, as regorus hands each call a copy of it whose search cache starts empty.)
sh(s) := s if {
	is_string(s)
	s != ""
	trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._/:=@%+,-") == ""
} else := concat("", ["$'", ansi_c(s), "'"]) if {
	is_string(s)
	regex.match(`[\x00-\x1f\x7f]`, s)
} else := concat("", ["'", replace(s, "'", `'\''`), "'"]) if {
	is_string(s)
} else := s

ansi_c(s) := replace(replace(replace(replace(replace(replace(s, `\`, `\\`), "'", `\'`), "\n", `\n`), "\r", `\r`), "\t", `\t`), "\u001b", `\e`)

# The arguments of a fix command, each as one shell word.
words(args) := [sh(a) | some a in args]
