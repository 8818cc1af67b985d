package kensa.rules.image.age_test

import rego.v1

import data.kensa.rules.image.age

vm := {
	"id": "/subscriptions/1111/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm1",
	"name": "vm1",
	"type": "microsoft.compute/virtualmachines",
	"properties": {"storageProfile": {"imageReference": {"id": "/subscriptions/1111/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/golden/images/ubuntu"}}},
}

version(published, eol) := {
	"id": "/subscriptions/1111/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/golden/images/ubuntu/versions/1.0.0",
	"name": "1.0.0",
	"properties": {"publishingProfile": {"publishedDate": published, "endOfLifeDate": eol}},
}

params := {"image": {"max_age_days": 30}}

test_recent_version_passes if {
	count(age.deny) == 0 with input as {"resource": vm, "related": {"image_version": version("2026-11-01T00:00:00Z", "2027-11-01T00:00:00Z")}}
		with data.kensa.params as params
		with data.kensa.now as "2026-11-22T00:00:00Z"
}

test_old_version_fails_with_age if {
	some f in age.deny with input as {"resource": vm, "related": {"image_version": version("2026-09-01T00:00:00Z", null)}}
		with data.kensa.params as params
		with data.kensa.now as "2026-11-22T00:00:00Z"
	f.evidence.age_days == 82
	f.key == "age"
}

test_exactly_max_age_passes if {
	count(age.deny) == 0 with input as {"resource": vm, "related": {"image_version": version("2026-10-23T00:00:00Z", null)}}
		with data.kensa.params as params
		with data.kensa.now as "2026-11-22T00:00:00Z"
}

test_end_of_life_fails_even_when_recent if {
	some f in age.deny with input as {"resource": vm, "related": {"image_version": version("2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z")}}
		with data.kensa.params as params
		with data.kensa.now as "2026-11-22T00:00:00Z"
	f.key == "end-of-life"
}

test_definition_end_of_life_fails if {
	def := {"id": "/x/images/ubuntu", "name": "ubuntu", "properties": {"endOfLifeDate": "2026-01-01T00:00:00Z"}}
	some f in age.deny with input as {"resource": vm, "related": {"image_version": version("2026-11-20T00:00:00Z", null), "image_definition": def}}
		with data.kensa.params as params
		with data.kensa.now as "2026-11-22T00:00:00Z"
	f.key == "definition-end-of-life"
}

test_unknown_version_is_reported_not_judged if {
	count(age.deny) == 0 with input as {"resource": vm, "related": {}} with data.kensa.params as params with data.kensa.now as "2026-11-22T00:00:00Z"
	count(age.unknown) == 1 with input as {"resource": vm, "related": {}} with data.kensa.params as params with data.kensa.now as "2026-11-22T00:00:00Z"
}

test_marketplace_is_not_applicable if {
	mvm := {"id": vm.id, "name": "vm1", "type": vm.type, "properties": {"storageProfile": {"imageReference": {"publisher": "p", "offer": "o", "sku": "s", "version": "1"}}}}
	count(age.unknown) == 0 with input as {"resource": mvm, "related": {}} with data.kensa.params as params with data.kensa.now as "2026-11-22T00:00:00Z"
}
