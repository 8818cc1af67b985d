package kensa.rules.packer.publishes_to_gallery

import rego.v1

import data.kensa.lib.packer
import data.kensa.lib.util

metadata := {
	"id": "packer.publishes-to-gallery",
	"title": "Golden image builds publish to an approved Compute Gallery",
	"severity": "medium",
	"resource_types": ["kensa.packer/azurearmbuilds"],
	"description": concat(" ", [
		"A Packer azure-arm build must publish its image to a Compute Gallery",
		"(`shared_image_gallery_destination`) that `image.approved_galleries` approves, the",
		"same list `image.approved-source` checks machines against. A gallery matches when",
		"its resource group and gallery name match an approved id (`*` globs one segment).",
		"A build that only produces a managed image fails: managed images have no versions,",
		"no replication and no end-of-life date.",
	]),
	"remediation": "Add a `shared_image_gallery_destination` block naming the approved gallery (resource_group, gallery_name, image_name, image_version).",
	"help": "Machines may only run images from the approved gallery; an image built anywhere else cannot be rolled out, and a build that publishes nowhere cannot be rolled back to.",
	"snippets": {
		"packer": `shared_image_gallery_destination {
  resource_group = "rg-images"
  gallery_name   = "golden"
  image_name     = "ubuntu-2204"
  image_version  = var.image_version
}`,
	},
}

p := packer.props

dest := object.get(p, "shared_image_gallery_destination", null)

deny contains finding if {
	packer.is_build(input.resource)
	not is_object(dest)
	not util.unknown(dest)
	finding := {
		"msg": sprintf("Packer build '%s' does not publish to a Compute Gallery (no shared_image_gallery_destination)", [input.resource.name]),
		"evidence": {"managed_image_name": object.get(p, "managed_image_name", null)},
		"snippets": {"packer": sprintf(`shared_image_gallery_destination {
  resource_group = "rg-images"
  gallery_name   = "golden"
  image_name     = "%s" # the image definition (%s) this build versions
  image_version  = var.image_version
}`, [image_name, os_type])},
	}
}

# What the build makes: its managed image's name when it has one, else the build's.
image_name := n if {
	n := object.get(p, "managed_image_name", "")
	is_string(n)
	n != ""
} else := input.resource.name

os_type := t if {
	t := object.get(p, "os_type", "")
	is_string(t)
	t != ""
} else := "Linux"

# Resource group and gallery name of an approved gallery id pattern.
approved(rg, gallery) if {
	some pattern in data.kensa.params.image.approved_galleries
	parts := split(lower(pattern), "/")
	some i, seg in parts
	seg == "resourcegroups"
	some j, g in parts
	g == "galleries"
	glob.match(parts[i + 1], [], lower(rg))
	glob.match(parts[j + 1], [], lower(gallery))
}

deny contains finding if {
	packer.is_build(input.resource)
	is_object(dest)
	rg := object.get(dest, "resource_group", "")
	gallery := object.get(dest, "gallery_name", "")
	is_string(rg)
	is_string(gallery)
	not approved(rg, gallery)
	finding := {
		"msg": sprintf("Packer build '%s' publishes to gallery '%s' in resource group '%s', which is not an approved gallery", [input.resource.name, gallery, rg]),
		"at": ["properties", "shared_image_gallery_destination", "gallery_name"],
		"evidence": {"gallery_name": gallery, "resource_group": rg, "approved_galleries": data.kensa.params.image.approved_galleries},
	}
}

unknown contains {"msg": sprintf("gallery destination %s: %s", [field, why]), "at": ["properties", "shared_image_gallery_destination", field]} if {
	packer.is_build(input.resource)
	is_object(dest)
	some field in ["resource_group", "gallery_name"]
	why := util.unknown(object.get(dest, field, ""))
}
