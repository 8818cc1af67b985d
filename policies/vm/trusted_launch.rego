package kensa.rules.vm.trusted_launch

import rego.v1

import data.kensa.lib.util

metadata := {
	"id": "vm.trusted-launch",
	"title": "Machines boot with Trusted Launch: Secure Boot and vTPM",
	"severity": "medium",
	"resource_types": ["microsoft.compute/virtualmachines", "microsoft.compute/virtualmachinescalesets"],
	"description": concat(" ", [
		"A VM (`properties.securityProfile`) or a scale set model",
		"(`properties.virtualMachineProfile.securityProfile`) must have `securityType`",
		"`TrustedLaunch` or `ConfidentialVM` (any case) and both `uefiSettings.secureBootEnabled`",
		"and `uefiSettings.vTpmEnabled` set to true. An absent setting counts as not enabled, as",
		"Azure Policy reads it. A value only known at deployment (IaC) makes the check undecided.",
		"A scale set that only adds an extension (no storage profile) is not judged.",
	]),
	"remediation": "Deploy the machine with securityType TrustedLaunch (or ConfidentialVM) and Secure Boot and vTPM enabled, from a Gen2 golden image; existing Gen1 machines are rebuilt from a Gen2 image.",
	"help": "Secure Boot refuses unsigned boot loaders and kernels, and the vTPM measures the boot chain so Defender for Cloud can attest it: boot kits and rootkits become detectable instead of invisible.",
	"snippets": {
		"arm": `"securityProfile": {
  "securityType": "TrustedLaunch",
  "uefiSettings": { "secureBootEnabled": true, "vTpmEnabled": true }
}`,
		"terraform": `secure_boot_enabled = true
vtpm_enabled        = true`,
	},
}

is_machine if util.input_type == "microsoft.compute/virtualmachines"

is_machine if {
	util.input_type == "microsoft.compute/virtualmachinescalesets"
	object.get(input.resource, ["properties", "virtualMachineProfile", "storageProfile"], null) != null
}

# JSON path of the security profile.
base := ["properties", "securityProfile"] if util.input_type == "microsoft.compute/virtualmachines"

else := ["properties", "virtualMachineProfile", "securityProfile"]

settings := [
	["securityType", array.concat(base, ["securityType"])],
	["Secure Boot", array.concat(base, ["uefiSettings", "secureBootEnabled"])],
	["vTPM", array.concat(base, ["uefiSettings", "vTpmEnabled"])],
]

# Each setting with its value (null when absent), read once per evaluation.
values := [[name, path, object.get(input.resource, path, null)] | some [name, path] in settings]

# The first setting that is missing or off, with its path; undefined when all are on.
missing := [[name, path, v] |
	some [name, path, v] in values
	not util.unknown(v)
	not enabled(name, v)
]

enabled("securityType", v) if lower(sprintf("%v", [v])) in {"trustedlaunch", "confidentialvm"}

enabled(name, v) if {
	name != "securityType"
	util.truthy(v)
}

undecided := [[name, path, why] |
	some [name, path, v] in values
	why := util.unknown(v)
]

kind := "VM" if util.input_type == "microsoft.compute/virtualmachines"

else := "Scale set"

deny contains finding if {
	is_machine
	count(missing) > 0
	names := [m[0] | some m in missing]
	finding := {
		"msg": sprintf("%s '%s' does not boot with Trusted Launch: %s not enabled", [kind, input.resource.name, concat(", ", names)]),
		"at": missing[0][1],
		"evidence": {"security_type": values[0][2], "secure_boot": values[1][2], "vtpm": values[2][2]},
		"fix": fix,
	}
}

fix := sprintf("az vmss update -g %s -n %s --security-type TrustedLaunch --enable-secure-boot true --enable-vtpm true  # Gen2 image required; then upgrade the instances", util.words([util.resource_group(input.resource), input.resource.name])) if {
	util.input_type == "microsoft.compute/virtualmachinescalesets"
} else := sprintf("az vm deallocate -g %s -n %s && az vm update -g %s -n %s --security-type TrustedLaunch --enable-secure-boot true --enable-vtpm true && az vm start -g %s -n %s  # Gen2 images only; a Gen1 VM is rebuilt", util.words([rg, n, rg, n, rg, n])) if {
	rg := util.resource_group(input.resource)
	n := input.resource.name
}

unknown contains {"msg": sprintf("%s: %s", [u[0], u[2]]), "at": u[1]} if {
	is_machine
	util.may_be_unknown
	count(missing) == 0
	some u in undecided
}
