package kensa.rules.image.age

import rego.v1

import data.kensa.lib.image
import data.kensa.lib.util

metadata := {
	"id": "image.age",
	"title": "Machines run a recent, supported image version",
	"severity": "medium",
	"resource_types": ["microsoft.compute/virtualmachines", "microsoft.compute/virtualmachinescalesets"],
	"description": concat(" ", [
		"The gallery image version a machine actually runs must not be past its `endOfLifeDate`",
		"(on the version or on its image definition), and its `publishedDate` must not be older",
		"than `image.max_age_days` days at the evaluation instant. The running version is the",
		"one in the reference if pinned, else `exactVersion`, else the OS disk's",
		"`creationData.galleryImageReference.id`. When it cannot be determined, or the version",
		"is not in the inventory, the rule makes no finding and the coverage section says so.",
	]),
	"remediation": "Roll the machine (or scale set) forward to the newest golden image version.",
	"help": "Images age: each day adds unpatched packages and drift from the current baseline. End-of-life versions are no longer replicated or supported.",
	"snippets": {
		"arm": `"imageReference": {
  "id": "[resourceId(parameters('galleryRg'), 'Microsoft.Compute/galleries/images/versions', 'golden', 'ubuntu-2204', parameters('imageVersion'))]"
}
// and deploy with imageVersion = the newest golden build`,
		"terraform": `source_image_id = data.azurerm_shared_image_version.golden.id # bump to the newest golden build`,
	},
}

version := input.related.image_version

deny contains finding if {
	image.judged
	eol := object.get(version, ["properties", "publishingProfile", "endOfLifeDate"], null)
	is_string(eol)
	util.age_days(eol) >= 0
	finding := {
		"msg": sprintf("%s '%s' runs image version %s, past its end-of-life date %s", [kind, input.resource.name, version.name, eol]),
		"key": "end-of-life",
		"evidence": {"image_version": version.id, "end_of_life": eol},
		"fix": fix,
	}
}

deny contains finding if {
	image.judged
	eol := object.get(input.related, ["image_definition", "properties", "endOfLifeDate"], null)
	is_string(eol)
	util.age_days(eol) >= 0
	finding := {
		"msg": sprintf("%s '%s' runs image definition %s, past its end-of-life date %s", [kind, input.resource.name, input.related.image_definition.name, eol]),
		"key": "definition-end-of-life",
		"evidence": {"image_definition": input.related.image_definition.id, "end_of_life": eol},
		"fix": fix,
	}
}

deny contains finding if {
	image.judged
	published := version.properties.publishingProfile.publishedDate
	age := util.age_days(published)
	age > data.kensa.params.image.max_age_days
	finding := {
		"msg": sprintf("%s '%s' runs image version %s published %d days ago (limit %d)", [kind, input.resource.name, version.name, age, data.kensa.params.image.max_age_days]),
		"key": "age",
		"evidence": {"image_version": version.id, "published": published, "age_days": age, "max_age_days": data.kensa.params.image.max_age_days},
		"fix": fix,
	}
}

# The rule cannot judge a gallery-based machine whose running version is unknown.
unknown contains reason if {
	image.judged
	src := image.input_source
	src.kind in {"gallery", "shared", "community"}
	not input.related.image_version
	reason := sprintf("running image version of %s not determinable (reference %s; no exactVersion, OS disk or version row in the inventory)", [input.resource.name, src.id])
}

kind := "VM" if util.input_type == "microsoft.compute/virtualmachines"

else := "Scale set"

fix := sprintf("az vmss update -g %s -n %s --set virtualMachineProfile.storageProfile.imageReference.id=\"$NEWEST_IMAGE_VERSION_ID\" && az vmss update-instances -g %s -n %s --instance-ids '*'", util.words([rg, input.resource.name, rg, input.resource.name])) if {
	util.input_type == "microsoft.compute/virtualmachinescalesets"
	rg := util.resource_group(input.resource)
} else := sprintf("# no command: rebuild VM %s (resource group %s) from the newest version of its golden image (blue/green: deploy the replacement, then retire this one).", [input.resource.name, util.resource_group(input.resource)])
