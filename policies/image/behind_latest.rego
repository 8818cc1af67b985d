package kensa.rules.image.behind_latest

import rego.v1

import data.kensa.lib.image
import data.kensa.lib.util

metadata := {
	"id": "image.behind-latest",
	"title": "Machines run the newest version of their golden image",
	"severity": "low",
	"resource_types": ["microsoft.compute/virtualmachines", "microsoft.compute/virtualmachinescalesets"],
	"description": concat(" ", [
		"For a machine on an approved gallery image whose running version is known, fails when",
		"the same image definition has a newer version that is not excluded from latest",
		"(`publishingProfile.excludeFromLatest`) and not past its `endOfLifeDate`. Versions",
		"compare as semantic versions (`1.10.0` is newer than `1.9.0`). The finding says how many",
		"versions and days the machine is behind: the golden-image rollout view.",
	]),
	"remediation": "Roll the machine onto the newest version: update the scale set model and upgrade its instances, or replace the VM (blue/green).",
	"help": "A new golden image only helps the machines that run it; this is the list of machines the rollout has not reached yet.",
	"snippets": {
		"arm": `"imageReference": {
  "id": "[resourceId(parameters('galleryRg'), 'Microsoft.Compute/galleries/images/versions', 'golden', 'ubuntu-2204', parameters('imageVersion'))]"
}
// and deploy with imageVersion = the newest version of the definition`,
		"terraform": `source_image_id = data.azurerm_shared_image_version.golden.id # the newest version of the definition`,
	},
}

running := input.related.image_version

eligible(v) if {
	not util.truthy(object.get(v, ["properties", "publishingProfile", "excludeFromLatest"], false))
	eol := object.get(v, ["properties", "publishingProfile", "endOfLifeDate"], null)
	not past(eol)
}

past(ts) if {
	is_string(ts)
	util.age_days(ts) >= 0
}

# The eligible versions newer than the running one. Eligibility is asked only of those: a
# machine on the newest version (most of a fleet) costs one comparison per version.
behind := [v |
	some v in input.related.image_versions
	semver.is_valid(v.name)
	semver.is_valid(running.name)
	semver.compare(v.name, running.name) > 0
	eligible(v)
]

# The first of the newest (one value even when two versions tie); when any version is
# newer than the running one, the newest of all is among them.
latest := newest[0] if {
	newest := [v | some v in behind; not any_newer(v)]
}

any_newer(v) if {
	some w in behind
	semver.compare(w.name, v.name) > 0
}

deny contains finding if {
	image.judged
	src := image.input_source
	src.kind == "gallery"
	image.input_gallery_approved
	semver.is_valid(running.name)
	count(behind) > 0
	days := days_between(running, latest)
	finding := {
		"msg": sprintf("%s '%s' runs %s %s; the newest is %s (%d version(s), %d days behind)", [kind, input.resource.name, definition_name, running.name, latest.name, count(behind), days]),
		"evidence": {
			"image_definition": object.get(input.related, ["image_definition", "id"], trim_suffix(running.id, concat("", ["/versions/", running.name]))),
			"running_version": running.name,
			"latest_version": latest.name,
			"latest_version_id": latest.id,
			"versions_behind": count(behind),
			"days_behind": days,
		},
		"fix": fix,
	}
}

days_between(old, new) := floor((time.parse_rfc3339_ns(new.properties.publishingProfile.publishedDate) - time.parse_rfc3339_ns(old.properties.publishingProfile.publishedDate)) / util.day_ns) if {
	is_string(new.properties.publishingProfile.publishedDate)
	is_string(old.properties.publishingProfile.publishedDate)
} else := 0

definition_name := input.related.image_definition.name if input.related.image_definition

else := "its image"

kind := "VM" if util.input_type == "microsoft.compute/virtualmachines"

else := "Scale set"

fix := sprintf("az vmss update -g %s -n %s --set virtualMachineProfile.storageProfile.imageReference.id=%s && az vmss update-instances -g %s -n %s --instance-ids '*'", util.words([rg, input.resource.name, latest.id, rg, input.resource.name])) if {
	util.input_type == "microsoft.compute/virtualmachinescalesets"
	rg := util.resource_group(input.resource)
} else := sprintf("# no command: replace VM %s (resource group %s) with one built from %s (blue/green), then retire it.", [input.resource.name, util.resource_group(input.resource), latest.id])
