package kensa.rules.patch.age

import rego.v1

import data.kensa.lib.util

metadata := {
	"id": "patch.age",
	"title": "Critical and security patches are installed on time",
	"severity": "high",
	"resource_types": ["microsoft.compute/virtualmachines"],
	"description": concat(" ", [
		"A running VM must not have a pending patch classified Critical or Security whose",
		"`publishedDateTime` is more than `patch.max_pending_days` days old. Pending means listed",
		"by the latest assessment and not `Installed`. One finding per VM, naming the oldest",
		"patches.",
	]),
	"remediation": "Install the pending critical and security patches (or schedule them in a maintenance configuration).",
	"help": "Critical and security fixes are what attackers diff against; every day a published fix stays uninstalled the exploit gets cheaper.",
}

running if input.resource.properties.extended.instanceView.powerState.code == "PowerState/running"

urgent := {"critical", "security"}

overdue contains [age, name] if {
	some p in input.related.software_patches
	props := p.properties
	lower(object.get(props, "installationState", "Pending")) != "installed"
	some c in util.list(object.get(props, "classifications", null))
	lower(c) in urgent
	published := object.get(props, "publishedDateTime", object.get(props, "publishedDate", null))
	is_string(published)
	age := util.age_days(published)
	age > data.kensa.params.patch.max_pending_days
	name := object.get(props, "patchName", p.name)
}

# The subscription's patch table could not be read: no pending patch is not news.
unread := object.get(input.related, ["unread", "patch_assessments"], null)

deny contains finding if {
	util.input_type == "microsoft.compute/virtualmachines"
	running
	count(overdue) > 0
	oldest := array.reverse(sort(overdue))
	finding := {
		"msg": sprintf("Running VM '%s' has %d critical/security patch(es) pending longer than %d days; oldest: %s (%d days)", [input.resource.name, count(overdue), data.kensa.params.patch.max_pending_days, oldest[0][1], oldest[0][0]]),
		"evidence": {
			"overdue_patches": [{"patch": o[1], "age_days": o[0]} | some o in array.slice(oldest, 0, 5)],
			"overdue_count": count(overdue),
			"max_pending_days": data.kensa.params.patch.max_pending_days,
		},
		"fix": sprintf("az vm install-patches -g %s -n %s --maximum-duration PT2H --reboot-setting IfRequired --classifications-to-include-linux Critical Security --classifications-to-include-win Critical Security", util.words([util.resource_group(input.resource), input.resource.name])),
	}
}

unknown contains sprintf("pending patches were not read: %s", [unread]) if {
	util.input_type == "microsoft.compute/virtualmachines"
	running
	unread != null
}
