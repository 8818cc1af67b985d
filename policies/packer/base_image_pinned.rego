package kensa.rules.packer.base_image_pinned

import rego.v1

import data.kensa.lib.packer
import data.kensa.lib.util

metadata := {
	"id": "packer.base-image-pinned",
	"title": "Golden image builds start from a pinned base image",
	"severity": "medium",
	"resource_types": ["kensa.packer/azurearmbuilds"],
	"description": concat(" ", [
		"A Packer azure-arm build must name the exact base image it starts from, so that two",
		"builds of the same commit produce the same image. Fails when a marketplace base",
		"(`image_publisher`/`image_offer`/`image_sku`) has `image_version` absent or `latest`,",
		"or a Compute Gallery base (`shared_image_gallery`) has no `image_version` (or",
		"`latest`). A managed image or VHD base is one immutable image and passes.",
	]),
	"remediation": "Set `image_version` to an exact version (e.g. `22.04.202611010`) and bump it deliberately; for a gallery base, set `shared_image_gallery.image_version`.",
	"help": "With `latest`, rebuilding last month's commit silently picks up this month's base image: the build is not reproducible and a regression cannot be bisected.",
	"snippets": {
		"packer": `image_publisher = "Canonical"
image_offer     = "0001-com-ubuntu-server-jammy"
image_sku       = "22_04-lts-gen2"
image_version   = "22.04.202611010" # exact; bump it deliberately`,
	},
}

p := packer.props

marketplace_version := object.get(p, "image_version", "")

deny contains finding if {
	packer.is_build(input.resource)
	is_string(p.image_publisher)
	not util.unknown(marketplace_version)
	lower(marketplace_version) in {"", "latest"}
	finding := {
		"msg": sprintf("Packer build '%s' starts from marketplace image %s:%s:%s without an exact version (%s)", [input.resource.name, p.image_publisher, object.get(p, "image_offer", "?"), object.get(p, "image_sku", "?"), shown(marketplace_version)]),
		"at": marketplace_at,
		"evidence": {"base": "marketplace", "image_version": marketplace_version},
		"snippets": {"packer": sprintf(`image_publisher = "%s"
image_offer     = "%s"
image_sku       = "%s"
image_version   = "%s" # exact; bump it deliberately (az vm image list --all -p %s -f %s -s %s)`, [p.image_publisher, object.get(p, "image_offer", "?"), object.get(p, "image_sku", "?"), example_version, p.image_publisher, object.get(p, "image_offer", "?"), object.get(p, "image_sku", "?")])},
	}
}

# A version in the form this publisher uses (Windows Server and Ubuntu differ).
example_version := "20348.2849.241206" if lower(p.image_publisher) == "microsoftwindowsserver"

else := "22.04.202611010"

marketplace_at := packer.at("image_version") if "image_version" in object.keys(p)

else := packer.at("image_sku")

sig := object.get(p, "shared_image_gallery", null)

sig_version := object.get(sig, "image_version", "") if is_object(sig)

# A gallery base may also be given by id, ending in /versions/X.
sig_pinned if {
	id := object.get(sig, "id", "")
	is_string(id)
	parts := split(lower(id), "/versions/")
	count(parts) == 2
	not parts[1] in {"", "latest"}
}

deny contains finding if {
	packer.is_build(input.resource)
	is_object(sig)
	not util.unknown(sig_version)
	lower(sig_version) in {"", "latest"}
	not sig_pinned
	finding := {
		"msg": sprintf("Packer build '%s' starts from gallery image %s/%s without an exact version (%s)", [input.resource.name, object.get(sig, "gallery_name", "?"), object.get(sig, "image_name", "?"), shown(sig_version)]),
		"at": ["properties", "shared_image_gallery"],
		"evidence": {"base": "gallery", "image_version": sig_version},
		"snippets": {"packer": sprintf(`shared_image_gallery {
  subscription   = var.gallery_subscription
  resource_group = "%s"
  gallery_name   = "%s"
  image_name     = "%s"
  image_version  = "1.4.0" # exact; bump it deliberately
}`, [object.get(sig, "resource_group", "rg-images"), object.get(sig, "gallery_name", "golden"), object.get(sig, "image_name", "base")])},
	}
}

shown("") := "no version"

shown(v) := sprintf("version '%s'", [v]) if v != ""

unknown contains {"msg": sprintf("base image version: %s", [why]), "at": packer.at("image_version")} if {
	packer.is_build(input.resource)
	why := util.unknown(marketplace_version)
}

unknown contains {"msg": sprintf("gallery base image version: %s", [why]), "at": ["properties", "shared_image_gallery"]} if {
	packer.is_build(input.resource)
	why := util.unknown(sig_version)
}
