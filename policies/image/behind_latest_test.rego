package kensa.rules.image.behind_latest_test

import rego.v1

import data.kensa.rules.image.behind_latest as rule

def := "/subscriptions/1111/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/golden/images/ubuntu"

version(v, published, extra) := object.union({
	"id": concat("", [def, "/versions/", v]),
	"name": v,
	"properties": {"publishingProfile": {"publishedDate": published}},
}, extra)

v130 := version("1.3.0", "2026-09-10T00:00:00Z", {})

v140 := version("1.4.0", "2026-11-02T00:00:00Z", {})

v190 := version("1.9.0", "2026-10-01T00:00:00Z", {})

v1100 := version("1.10.0", "2026-11-10T00:00:00Z", {})

vm(kind) := {
	"id": "/subscriptions/1111/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm1",
	"name": "vm1",
	"type": kind,
	"properties": {"storageProfile": {"imageReference": {"id": def}}, "virtualMachineProfile": {"storageProfile": {"imageReference": {"id": def}}}},
}

params := {"image": {"approved_galleries": ["/subscriptions/*/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/golden"]}}

deny(kind, running, versions) := d if {
	d := rule.deny with input as {"resource": vm(kind), "related": {"image_version": running, "image_versions": versions, "image_definition": {"id": def, "name": "ubuntu"}}}
		with data.kensa.params as params
		with data.kensa.now as "2026-11-20T00:00:00Z"
}

test_behind_names_versions_and_days if {
	some f in deny("microsoft.compute/virtualmachines", v130, [v130, v140])
	f.evidence.latest_version == "1.4.0"
	f.evidence.versions_behind == 1
	f.evidence.days_behind == 53
}

test_on_latest_passes if count(deny("microsoft.compute/virtualmachines", v140, [v130, v140])) == 0

test_semver_not_lexical if {
	some f in deny("microsoft.compute/virtualmachines", v190, [v190, v1100])
	f.evidence.latest_version == "1.10.0"
}

test_excluded_from_latest_is_not_the_target if {
	excluded := version("1.4.0", "2026-11-02T00:00:00Z", {"properties": {"publishingProfile": {"excludeFromLatest": true}}})
	count(deny("microsoft.compute/virtualmachines", v130, [v130, excluded])) == 0
}

test_end_of_life_version_is_not_the_target if {
	dead := version("1.4.0", "2026-11-02T00:00:00Z", {"properties": {"publishingProfile": {"endOfLifeDate": "2026-11-15T00:00:00Z"}}})
	count(deny("microsoft.compute/virtualmachines", v130, [v130, dead])) == 0
}

test_unknown_running_version_is_not_judged if count(deny("microsoft.compute/virtualmachines", null, [v130, v140])) == 0

test_scale_set_fix_rolls_the_instances if {
	some f in deny("microsoft.compute/virtualmachinescalesets", v130, [v130, v140])
	contains(f.fix, "az vmss update-instances")
	contains(f.fix, "/versions/1.4.0")
}
