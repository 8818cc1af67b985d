package kensa.rules.image.approved_source

import rego.v1

import data.kensa.lib.image
import data.kensa.lib.util

metadata := {
	"id": "image.approved-source",
	"title": "Machines run a golden image from an approved Compute Gallery",
	"severity": "high",
	"resource_types": ["microsoft.compute/virtualmachines", "microsoft.compute/virtualmachinescalesets"],
	"description": concat(" ", [
		"A VM or scale set must be built from a version of an image definition in one of the",
		"Compute Galleries listed in `image.approved_galleries` (gallery resource ids, any case,",
		"`*` matches one path segment). Marketplace images, managed images, and shared or",
		"community gallery images whose gallery is not listed fail. A machine with no image",
		"reference at all (an attached OS disk) fails too: its lineage cannot be shown.",
		"With no approved gallery configured the check is undecided on every machine.",
	]),
	"remediation": "Rebuild or reimage the machine from a version of the golden image in an approved gallery (see `image.approved_galleries`).",
	"help": "Golden images carry the hardening, agents and patches the platform team signed off. A machine built from anything else skips all of that.",
	"snippets": {
		"arm": `"imageReference": {
  "id": "[resourceId(parameters('galleryRg'), 'Microsoft.Compute/galleries/images/versions', 'golden', 'ubuntu-2204', parameters('imageVersion'))]"
}`,
		"terraform": `source_image_id = data.azurerm_shared_image_version.golden.id # the approved gallery's image version`,
	},
}

deny contains finding if {
	configured
	image.judged
	src := image.input_source
	not approved
	finding := {
		"msg": sprintf("%s '%s' runs %s, which is not from an approved Compute Gallery", [kind(input.resource), input.resource.name, image.label(src)]),
		"at": image.at(input.resource, src),
		"evidence": {"image_kind": src.kind, "image": src.id},
		"fix": fix(input.resource),
	}
}

# The image of the resource under evaluation comes from an approved gallery.
approved if {
	image.input_source.kind in {"gallery", "shared", "community"}
	image.input_gallery_approved
}

kind(r) := "VM" if util.is_type(r, "microsoft.compute/virtualmachines")

else := "Scale set"

fix(r) := sprintf("az vmss update -g %s -n %s --set virtualMachineProfile.storageProfile.imageReference.id=\"$APPROVED_IMAGE_VERSION_ID\"", util.words([util.resource_group(r), r.name])) if {
	util.is_type(r, "microsoft.compute/virtualmachinescalesets")
} else := sprintf("az vm create -g %s -n %s --image \"$APPROVED_IMAGE_VERSION_ID\"  # recreate from the golden image", util.words([util.resource_group(r), r.name]))

# IaC: the reference depends on a value only known at deployment.
unknown contains image.input_unknown if {
	configured
	image.input_path
}

# Without an approved gallery, "approved" has no meaning: every machine is undecided (and
# kensa says once how to configure it), never a high-severity failure on all of them.
configured if count(data.kensa.params.image.approved_galleries) > 0

unknown contains "no approved gallery is configured: set image.approved_galleries in kensa.toml (`kensa init` proposes the galleries it sees)" if {
	not configured
	image.input_path
}
