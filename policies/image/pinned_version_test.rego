package kensa.rules.image.pinned_version_test

import rego.v1

import data.kensa.rules.image.pinned_version

vm(ref) := {
	"id": "/subscriptions/1111/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm1",
	"name": "vm1",
	"type": "microsoft.compute/virtualmachines",
	"properties": {"storageProfile": {"imageReference": ref}},
}

definition := "/subscriptions/1111/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/golden/images/ubuntu"

test_gallery_version_passes if {
	count(pinned_version.deny) == 0 with input.resource as vm({"id": concat("", [definition, "/versions/1.2.3"])})
}

test_gallery_definition_fails if {
	count(pinned_version.deny) == 1 with input.resource as vm({"id": definition})
}

test_gallery_versions_latest_fails if {
	count(pinned_version.deny) == 1 with input.resource as vm({"id": concat("", [definition, "/Versions/Latest"])})
}

test_marketplace_latest_fails if {
	count(pinned_version.deny) == 1 with input.resource as vm({"publisher": "Canonical", "offer": "o", "sku": "s", "version": "latest", "exactVersion": "1.0.1"})
}

test_marketplace_without_version_fails if {
	count(pinned_version.deny) == 1 with input.resource as vm({"publisher": "Canonical", "offer": "o", "sku": "s"})
}

test_marketplace_exact_passes if {
	count(pinned_version.deny) == 0 with input.resource as vm({"publisher": "Canonical", "offer": "o", "sku": "s", "version": "22.04.202401010"})
}

test_managed_image_is_not_a_pinning_question if {
	count(pinned_version.deny) == 0 with input.resource as vm({"id": "/subscriptions/1111/resourceGroups/rg/providers/Microsoft.Compute/images/base"})
}
