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
	"snippets": {
		"arm": `"osProfile": {
  "linuxConfiguration": {
    "patchSettings": { "patchMode": "AutomaticByPlatform", "assessmentMode": "AutomaticByPlatform" }
  }
}`,
		"terraform": `patch_mode            = "AutomaticByPlatform"
patch_assessment_mode = "AutomaticByPlatform"`,
	},
}

os_config := c if {
	c := input.resource.properties.osProfile.linuxConfiguration
	c != null
} else := c if {
	c := input.resource.properties.osProfile.windowsConfiguration
	c != null
}

os_key := "windowsConfiguration" if input.resource.properties.osProfile.windowsConfiguration

else := "windowsConfiguration" if lower(object.get(input.resource, ["properties", "storageProfile", "osDisk", "osType"], "")) == "windows"

else := "linuxConfiguration"

# An OS profile without a linux/windows configuration (common in templates) means Azure's
# default: ImageDefault.
judged if os_config

judged if {
	is_object(input.resource.properties.osProfile)
	not os_config
}

mode := object.get(os_config, ["patchSettings", "assessmentMode"], "ImageDefault") if os_config

else := "ImageDefault"

deny contains finding if {
	util.input_type == "microsoft.compute/virtualmachines"
	judged
	mode != "AutomaticByPlatform"
	not util.unknown(mode)
	finding := {
		"at": ["properties", "osProfile"],
		"msg": sprintf("VM '%s' has patch assessment mode '%s', not AutomaticByPlatform", [input.resource.name, mode]),
		"evidence": {"assessment_mode": mode},
		"fix": sprintf("az vm update -g %s -n %s --set osProfile.%s.patchSettings.assessmentMode=AutomaticByPlatform", util.words([util.resource_group(input.resource), input.resource.name, os_key])),
	}
}

unknown contains reason if {
	util.input_type == "microsoft.compute/virtualmachines"
	not judged
	reason := sprintf("VM %s has no OS profile; its patch settings cannot be read", [input.resource.name])
}
