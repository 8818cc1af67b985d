package kensa.rules.patch.assessment_stale_test

import rego.v1

import data.kensa.rules.patch.assessment_stale as rule

vm(power) := {
	"id": "/subscriptions/1111/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm1",
	"name": "vm1",
	"type": "microsoft.compute/virtualmachines",
	"properties": {"extended": {"instanceView": {"powerState": {"code": power}}}},
}

assessment(status, when) := {"id": "/vm1/patchAssessmentResults/latest", "properties": {"status": status, "lastModifiedDateTime": when}}

params := {"patch": {"max_assessment_age_days": 7}}

deny(power, a) := d if {
	d := rule.deny with input as {"resource": vm(power), "related": {"patch_assessment": a}}
		with data.kensa.params as params
		with data.kensa.now as "2026-11-20T00:00:00Z"
}

test_fresh_success_passes if count(deny("PowerState/running", assessment("Succeeded", "2026-11-19T00:00:00Z"))) == 0

test_exactly_seven_days_passes if count(deny("PowerState/running", assessment("Succeeded", "2026-11-13T00:00:00Z"))) == 0

test_old_success_fails if {
	some f in deny("PowerState/running", assessment("Succeeded", "2026-11-01T00:00:00Z"))
	contains(f.msg, "19 days old")
}

test_failed_assessment_fails if {
	some f in deny("PowerState/running", assessment("Failed", "2026-11-19T00:00:00Z"))
	f.evidence.status == "Failed"
}

test_no_assessment_fails if {
	some f in deny("PowerState/running", null)
	contains(f.msg, "no patch assessment exists")
}

test_deallocated_vm_is_not_judged if count(deny("PowerState/deallocated", null)) == 0
