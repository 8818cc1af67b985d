package kensa.rules.image.approved_source_test

import rego.v1

import data.kensa.rules.image.approved_source

golden := "/subscriptions/1111/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/golden"

vm(ref) := {
	"id": "/subscriptions/1111/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm1",
	"name": "vm1",
	"type": "microsoft.compute/virtualmachines",
	"properties": {"storageProfile": {"imageReference": ref}},
}

params := {"image": {"approved_galleries": ["/subscriptions/*/resourceGroups/RG-IMAGES/providers/Microsoft.Compute/galleries/golden"]}}

test_gallery_version_in_approved_gallery_passes if {
	count(approved_source.deny) == 0 with input.resource as vm({"id": concat("", [golden, "/images/ubuntu/versions/1.2.3"])})
		with data.kensa.params as params
}

test_mixed_case_gallery_id_passes if {
	count(approved_source.deny) == 0 with input.resource as vm({"id": upper(concat("", [golden, "/images/ubuntu"]))})
		with data.kensa.params as params
}

test_other_gallery_fails if {
	count(approved_source.deny) == 1 with input.resource as vm({"id": "/subscriptions/1111/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/sandbox/images/ubuntu/versions/1.0.0"})
		with data.kensa.params as params
}

test_wildcard_matches_one_segment_only if {
	count(approved_source.deny) == 1 with input.resource as vm({"id": "/subscriptions/1111/x/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/golden/images/u/versions/1.0.0"})
		with data.kensa.params as params
}

test_marketplace_fails if {
	some f in approved_source.deny with input.resource as vm({"publisher": "Canonical", "offer": "ubuntu-24_04-lts", "sku": "server", "version": "latest"})
		with data.kensa.params as params
	f.evidence.image_kind == "marketplace"
	contains(f.msg, "Canonical:ubuntu-24_04-lts:server:latest")
}

test_managed_image_fails if {
	count(approved_source.deny) == 1 with input.resource as vm({"id": "/subscriptions/1111/resourceGroups/rg-images/providers/Microsoft.Compute/images/base"})
		with data.kensa.params as params
}

test_unlisted_community_gallery_fails if {
	count(approved_source.deny) == 1 with input.resource as vm({"communityGalleryImageId": "/CommunityGalleries/pub-123/Images/ubuntu/Versions/1.0.0"})
		with data.kensa.params as params
}

test_listed_shared_gallery_passes if {
	count(approved_source.deny) == 0 with input.resource as vm({"sharedGalleryImageId": "/SharedGalleries/contoso-golden/Images/ubuntu/Versions/1.0.0"})
		with data.kensa.params as {"image": {"approved_galleries": ["/sharedgalleries/contoso-golden"]}}
}

test_no_image_reference_fails if {
	count(approved_source.deny) == 1 with input.resource as vm({}) with data.kensa.params as params
}

test_scale_set_model_is_read if {
	vmss := {
		"id": "/subscriptions/1111/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachineScaleSets/web",
		"name": "web",
		"type": "Microsoft.Compute/virtualMachineScaleSets",
		"properties": {"virtualMachineProfile": {"storageProfile": {"imageReference": {"publisher": "MicrosoftWindowsServer", "offer": "WindowsServer", "sku": "2022-datacenter", "version": "latest"}}}},
	}
	some f in approved_source.deny with input.resource as vmss with data.kensa.params as params
	startswith(f.fix, "az vmss update -g rg-app -n web")
}

test_without_an_approved_gallery_every_machine_is_undecided_not_failed if {
	marketplace := {"publisher": "Canonical", "offer": "ubuntu", "sku": "22_04", "version": "latest"}
	no_galleries := {"image": {"approved_galleries": []}}
	count(approved_source.deny) == 0 with input.resource as vm(marketplace)
		with data.kensa.params as no_galleries
	some reason in approved_source.unknown with input.resource as vm(marketplace)
		with data.kensa.params as no_galleries
	contains(reason, "image.approved_galleries")
}
