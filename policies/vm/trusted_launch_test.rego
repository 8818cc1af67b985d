package kensa.rules.vm.trusted_launch_test

import rego.v1

import data.kensa.rules.vm.trusted_launch as rule

vm(profile) := {
	"id": "/subscriptions/1111/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm1",
	"name": "vm1",
	"type": "Microsoft.Compute/virtualMachines",
	"properties": {"securityProfile": profile, "storageProfile": {}},
}

vmss(profile) := {
	"id": "/subscriptions/1111/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachineScaleSets/ss1",
	"name": "ss1",
	"type": "microsoft.compute/virtualmachinescalesets",
	"properties": {"virtualMachineProfile": {"securityProfile": profile, "storageProfile": {}}},
}

full := {"securityType": "TrustedLaunch", "uefiSettings": {"secureBootEnabled": true, "vTpmEnabled": true}}

test_trusted_launch_with_both_passes if {
	count(rule.deny) == 0 with input.resource as vm(full)
	count(rule.deny) == 0 with input.resource as vmss(full)
}

test_confidential_vm_counts if {
	count(rule.deny) == 0 with input.resource as vm(object.union(full, {"securityType": "ConfidentialVM"}))
}

test_no_security_profile_fails_naming_everything if {
	some f in rule.deny with input.resource as vm(null)
	f.msg == "VM 'vm1' does not boot with Trusted Launch: securityType, Secure Boot, vTPM not enabled"
	f.at == ["properties", "securityProfile", "securityType"]
}

test_secure_boot_off_fails_at_that_setting if {
	profile := {"securityType": "trustedlaunch", "uefiSettings": {"secureBootEnabled": false, "vTpmEnabled": true}}
	some f in rule.deny with input.resource as vmss(profile)
	contains(f.msg, "Scale set 'ss1'")
	contains(f.msg, ": Secure Boot not enabled")
	f.at == ["properties", "virtualMachineProfile", "securityProfile", "uefiSettings", "secureBootEnabled"]
	startswith(f.fix, "az vmss update")
}

test_absent_uefi_settings_fail if {
	some f in rule.deny with input.resource as vm({"securityType": "TrustedLaunch"})
	endswith(f.msg, "Secure Boot, vTPM not enabled")
}

test_strings_count_as_iac_writes_them if {
	count(rule.deny) == 0 with input.resource as vm({"securityType": "TrustedLaunch", "uefiSettings": {"secureBootEnabled": "true", "vTpmEnabled": "True"}})
}

test_unknown_is_undecided_never_passed if {
	profile := {"securityType": {"kensa:unknown": "parameter 'securityType' has no value"}, "uefiSettings": {"secureBootEnabled": true, "vTpmEnabled": true}}
	count(rule.deny) == 0 with input.resource as vm(profile)
	some u in rule.unknown with input.resource as vm(profile)
	contains(u.msg, "securityType: parameter 'securityType' has no value")
}

test_a_scale_set_that_only_adds_an_extension_is_not_judged if {
	partial := {"id": "x", "name": "ss1", "type": "microsoft.compute/virtualmachinescalesets", "properties": {"virtualMachineProfile": {"extensionProfile": {}}}}
	count(rule.deny) == 0 with input.resource as partial
}
