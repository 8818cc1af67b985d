package kensa.rules.patch.assessment_stale

import rego.v1

import data.kensa.lib.util

metadata := {
	"id": "patch.assessment-stale",
	"title": "Running VMs have a recent successful patch assessment",
	"severity": "medium",
	"resource_types": ["microsoft.compute/virtualmachines"],
	"description": concat(" ", [
		"A running VM (`properties.extended.instanceView.powerState.code` = `PowerState/running`)",
		"must have an Azure Update Manager assessment with `status` Succeeded whose",
		"`lastModifiedDateTime` is at most `patch.max_assessment_age_days` days old. Stopped and",
		"deallocated VMs, and IaC definitions (no power state), are not judged.",
	]),
	"remediation": "Run an assessment now and enable periodic assessment so it stays fresh.",
	"help": "Without a fresh assessment nobody knows which patches a machine is missing, so patch.age cannot be trusted either.",
}

running if input.resource.properties.extended.instanceView.powerState.code == "PowerState/running"

assessment := object.get(input.related, "patch_assessment", null)

succeeded if lower(assessment.properties.status) == "succeeded"

last := assessment.properties.lastModifiedDateTime

fresh if {
	succeeded
	util.age_days(last) <= data.kensa.params.patch.max_assessment_age_days
}

reason := "no patch assessment exists" if assessment == null

else := sprintf("last assessment status is '%s'", [assessment.properties.status]) if not succeeded

else := sprintf("last successful assessment is %d days old (limit %d)", [util.age_days(last), data.kensa.params.patch.max_assessment_age_days])

# The subscription's patch table could not be read: a missing assessment is not news.
unread := object.get(input.related, ["unread", "patch_assessments"], null)

deny contains finding if {
	util.input_type == "microsoft.compute/virtualmachines"
	running
	not fresh
	unread == null
	finding := {
		"msg": sprintf("Running VM '%s' has no recent successful patch assessment: %s", [input.resource.name, reason]),
		"evidence": {
			"assessment": object.get(input.related, ["patch_assessment", "id"], null),
			"status": object.get(input.related, ["patch_assessment", "properties", "status"], null),
			"last_assessed": object.get(input.related, ["patch_assessment", "properties", "lastModifiedDateTime"], null),
			"max_assessment_age_days": data.kensa.params.patch.max_assessment_age_days,
		},
		"fix": sprintf("az vm assess-patches -g %s -n %s", util.words([util.resource_group(input.resource), input.resource.name])),
	}
}

unknown contains sprintf("patch assessments were not read: %s", [unread]) if {
	util.input_type == "microsoft.compute/virtualmachines"
	running
	not fresh
	unread != null
}
