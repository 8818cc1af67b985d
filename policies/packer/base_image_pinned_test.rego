package kensa.rules.packer.base_image_pinned_test

import rego.v1

import data.kensa.rules.packer.base_image_pinned as rule

build(props) := {"id": "packer:x.pkr.hcl#source.azure-arm.ubuntu", "name": "ubuntu", "type": "Kensa.Packer/azureArmBuilds", "properties": props}

marketplace := {"image_publisher": "Canonical", "image_offer": "ubuntu-24_04-lts", "image_sku": "server"}

findings(props) := {f | some f in rule.deny with input.resource as build(props)}

unknowns(props) := {f | some f in rule.unknown with input.resource as build(props)}

test_marketplace_without_version_fails if count(findings(marketplace)) == 1

test_marketplace_latest_fails if count(findings(object.union(marketplace, {"image_version": "Latest"}))) == 1

test_marketplace_pinned_passes if count(findings(object.union(marketplace, {"image_version": "24.04.202611010"}))) == 0

test_finding_points_at_the_version if {
	some f in findings(object.union(marketplace, {"image_version": "latest"}))
	f.at == ["properties", "image_version"]
}

test_gallery_base_without_version_fails if count(findings({"shared_image_gallery": {"gallery_name": "golden", "image_name": "base"}})) == 1

test_gallery_base_pinned_passes if count(findings({"shared_image_gallery": {"gallery_name": "golden", "image_name": "base", "image_version": "1.2.3"}})) == 0

test_gallery_base_by_versioned_id_passes if count(findings({"shared_image_gallery": {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/base/versions/1.2.3"}})) == 0

test_managed_image_base_passes if count(findings({"custom_managed_image_name": "base-2026", "custom_managed_image_resource_group_name": "rg"})) == 0

test_version_from_env_is_unknown if {
	props := object.union(marketplace, {"image_version": {"kensa:unknown": "env(\"BASE\") is only known at build time"}})
	count(findings(props)) == 0
	count(unknowns(props)) == 1
}

test_other_resources_are_ignored if {
	vm := {"type": "microsoft.compute/virtualmachines", "name": "vm", "properties": marketplace}
	count({f | some f in rule.deny with input.resource as vm}) == 0
}
