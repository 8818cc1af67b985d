package kensa.rules.packer.publishes_to_gallery_test

import rego.v1

import data.kensa.rules.packer.publishes_to_gallery as rule

params := {"image": {"approved_galleries": ["/subscriptions/*/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/golden"]}}

build(props) := {"id": "packer:x#source.azure-arm.b", "name": "b", "type": "kensa.packer/azurearmbuilds", "properties": props}

findings(props) := {f | some f in rule.deny with input.resource as build(props) with data.kensa.params as params}

dest(rg, g) := {"shared_image_gallery_destination": {"resource_group": rg, "gallery_name": g, "image_name": "ubuntu", "image_version": "1.0.0"}}

test_approved_gallery_passes if count(findings(dest("rg-images", "golden"))) == 0

test_match_ignores_case if count(findings(dest("RG-Images", "Golden"))) == 0

test_other_gallery_fails if {
	some f in findings(dest("rg-images", "scratch"))
	f.at == ["properties", "shared_image_gallery_destination", "gallery_name"]
}

test_other_resource_group_fails if count(findings(dest("rg-dev", "golden"))) == 1

test_managed_image_only_fails if count(findings({"managed_image_name": "img", "managed_image_resource_group_name": "rg"})) == 1

test_no_approved_galleries_means_none_approved if {
	b := build(dest("rg-images", "golden"))
	count({f | some f in rule.deny with input.resource as b with data.kensa.params as {"image": {"approved_galleries": []}}}) == 1
}

test_unknown_gallery_is_undecided if {
	props := dest({"kensa:unknown": "var.rg has no value"}, "golden")
	count(findings(props)) == 0
	count({f | some f in rule.unknown with input.resource as build(props) with data.kensa.params as params}) == 1
}
