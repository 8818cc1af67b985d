package kensa.rules.patch.assessment_mode_test

import rego.v1

import data.kensa.rules.patch.assessment_mode as rule

vm(os_profile) := {
	"id": "/subscriptions/1111/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm1",
	"name": "vm1",
	"type": "microsoft.compute/virtualmachines",
	"properties": {"osProfile": os_profile},
}

test_automatic_by_platform_passes if {
	count(rule.deny) == 0 with input.resource as vm({"linuxConfiguration": {"patchSettings": {"assessmentMode": "AutomaticByPlatform"}}})
}

test_image_default_fails if {
	some f in rule.deny with input.resource as vm({"linuxConfiguration": {"patchSettings": {"assessmentMode": "ImageDefault"}}})
	endswith(f.fix, "osProfile.linuxConfiguration.patchSettings.assessmentMode=AutomaticByPlatform")
}

test_missing_patch_settings_fails if {
	some f in rule.deny with input.resource as vm({"windowsConfiguration": {"enableAutomaticUpdates": true}})
	f.evidence.assessment_mode == "ImageDefault"
	contains(f.fix, "windowsConfiguration")
}

test_no_os_profile_is_undecided if {
	count(rule.deny) == 0 with input.resource as vm(null)
	count(rule.unknown) == 1 with input.resource as vm(null)
}
