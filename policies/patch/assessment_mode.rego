package kensa.rules.patch.assessment_mode

import rego.v1

import data.kensa.lib.util

metadata := {
	"id": "patch.assessment-mode",
	"title": "VMs assess missing patches periodically",
	"severity": "low",
	"resource_types": ["microsoft.compute/virtualmachines"],
	"description": concat(" ", [
		"The VM's `osProfile.linuxConfiguration.patchSettings.assessmentMode` (or the Windows",
		"equivalent) must be `AutomaticByPlatform`, so Azure Update Manager assesses it every 24",
		"hours. A VM without an OS profile (created from an attached disk) cannot carry patch",
		"settings and is listed in the coverage section instead.",
	]),
	"remediation": "Set the assessment mode to AutomaticByPlatform.",
	"help": "Periodic assessment is what keeps patch.assessment-stale and patch.age fed with data.",
}

os_config := c if {
	c := input.resource.properties.osProfile.linuxConfiguration
	c != null
} else := c if {
	c := input.resource.properties.osProfile.windowsConfiguration
	c != null
}

mode := object.get(os_config, ["patchSettings", "assessmentMode"], "ImageDefault")

os_key := "windowsConfiguration" if input.resource.properties.osProfile.windowsConfiguration

else := "linuxConfiguration"

deny contains finding if {
	util.is_type(input.resource, "microsoft.compute/virtualmachines")
	os_config
	mode != "AutomaticByPlatform"
	finding := {
		"msg": sprintf("VM '%s' has patch assessment mode '%s', not AutomaticByPlatform", [input.resource.name, mode]),
		"evidence": {"assessment_mode": mode},
		"fix": sprintf("az vm update -g %s -n %s --set osProfile.%s.patchSettings.assessmentMode=AutomaticByPlatform", [util.resource_group(input.resource), input.resource.name, os_key]),
	}
}

unknown contains reason if {
	util.is_type(input.resource, "microsoft.compute/virtualmachines")
	not os_config
	reason := sprintf("VM %s has no OS profile; its patch settings cannot be read", [input.resource.name])
}
