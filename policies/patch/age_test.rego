package kensa.rules.patch.age_test

import rego.v1

import data.kensa.rules.patch.age as rule

vm(power) := {
	"id": "/subscriptions/1111/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm1",
	"name": "vm1",
	"type": "microsoft.compute/virtualmachines",
	"properties": {"extended": {"instanceView": {"powerState": {"code": power}}}},
}

patch(name, cls, published) := {"name": name, "properties": {"patchName": name, "classifications": cls, "publishedDateTime": published, "installationState": "Pending"}}

params := {"patch": {"max_pending_days": 14}}

deny(power, patches) := d if {
	d := rule.deny with input as {"resource": vm(power), "related": {"software_patches": patches}}
		with data.kensa.params as params
		with data.kensa.now as "2026-11-20T00:00:00Z"
}

test_old_security_patch_fails if {
	some f in deny("PowerState/running", [patch("openssl", ["Security"], "2026-10-01T00:00:00Z")])
	f.evidence.overdue_patches == [{"patch": "openssl", "age_days": 50}]
}

test_oldest_is_named_first if {
	some f in deny("PowerState/running", [patch("a", ["Critical"], "2026-10-20T00:00:00Z"), patch("b", ["Security"], "2026-09-01T00:00:00Z")])
	f.evidence.overdue_count == 2
	f.evidence.overdue_patches[0].patch == "b"
}

test_recent_security_patch_passes if count(deny("PowerState/running", [patch("x", ["Security"], "2026-11-10T00:00:00Z")])) == 0

test_old_other_patch_passes if count(deny("PowerState/running", [patch("vim", ["Other", "Updates"], "2026-01-01T00:00:00Z")])) == 0

test_installed_patch_passes if {
	p := {"name": "x", "properties": {"patchName": "x", "classifications": ["Critical"], "publishedDateTime": "2026-01-01T00:00:00Z", "installationState": "Installed"}}
	count(deny("PowerState/running", [p])) == 0
}

test_published_date_field_of_the_arm_api_is_read if {
	p := {"name": "kb1", "properties": {"name": "kb1", "classifications": ["Security"], "publishedDate": "2026-10-01T00:00:00Z"}}
	count(deny("PowerState/running", [p])) == 1
}

test_stopped_vm_is_not_judged if count(deny("PowerState/stopped", [patch("openssl", ["Security"], "2026-01-01T00:00:00Z")])) == 0
