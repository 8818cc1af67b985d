package kensa.rules.image.pinned_version

import rego.v1

import data.kensa.lib.image
import data.kensa.lib.util

metadata := {
	"id": "image.pinned-version",
	"title": "Image references name an exact version",
	"severity": "medium",
	"resource_types": ["microsoft.compute/virtualmachines", "microsoft.compute/virtualmachinescalesets"],
	"description": concat(" ", [
		"The image reference must name one exact version, so that a rebuild, a scale-out or a",
		"blue/green rollout gets the image that was tested. Fails when a marketplace reference",
		"has `version` absent or `latest`, or a gallery (also shared/community) reference points",
		"at the image definition or at `versions/latest`. A managed image id is one immutable",
		"image and counts as pinned (image.approved-source still rejects it).",
	]),
	"remediation": "Reference `…/galleries/G/images/I/versions/X.Y.Z` (or a marketplace `version` such as `1.2.3`) instead of the definition or `latest`.",
	"help": "With `latest`, two instances of one scale set can run different images, and nobody can say which build a machine came from.",
	"snippets": {
		"arm": `"imageReference": {
  "id": "[resourceId(parameters('galleryRg'), 'Microsoft.Compute/galleries/images/versions', 'golden', 'ubuntu-2204', '2026.11.3')]"
}`,
		"terraform": `source_image_id = "/subscriptions/<sub>/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/golden/images/ubuntu-2204/versions/2026.11.3"
# a marketplace reference pins its version instead: version = "22.04.202611010"`,
	},
}

deny contains finding if {
	image.judged
	src := image.input_source
	src.kind in {"gallery", "shared", "community", "marketplace"}
	lower(src.version) in {"", "latest"}
	finding := {
		"msg": sprintf("%s '%s' references %s without an exact version", [kind(input.resource), input.resource.name, image.label(src)]),
		"at": image.at(input.resource, src),
		"evidence": {"image_kind": src.kind, "image": src.id, "version": src.version},
		"fix": fix(input.resource),
	}
}

kind(r) := "VM" if util.is_type(r, "microsoft.compute/virtualmachines")

else := "Scale set"

fix(r) := sprintf("az vmss update -g %s -n %s --set virtualMachineProfile.storageProfile.imageReference.id=\"$PINNED_IMAGE_VERSION_ID\"", util.words([util.resource_group(r), r.name])) if {
	util.is_type(r, "microsoft.compute/virtualmachinescalesets")
} else := "Pin the version in the VM's deployment template; a VM's image reference cannot change after creation, so the next rebuild must use a pinned version."

# IaC: the reference depends on a value only known at deployment.
unknown contains image.input_unknown if {
	image.input_path
}
