package kensa.rules.packer.traceable_build_test

import rego.v1

import data.kensa.rules.packer.traceable_build as rule

params := {"packer": {"commit_tag_keys": ["git_commit", "commit", "git_sha"]}}

build(props) := {"id": "packer:x#source.azure-arm.b", "name": "b", "type": "kensa.packer/azurearmbuilds", "properties": props}

findings(props) := {f | some f in rule.deny with input.resource as build(props) with data.kensa.params as params}

test_untagged_fails if count(findings({})) == 1

test_other_tags_fail if {
	some f in findings({"azure_tags": {"team": "platform"}})
	f.at == ["properties", "azure_tags"]
}

test_commit_tag_passes_in_any_case if count(findings({"azure_tags": {"Git_SHA": "abc123"}})) == 0

test_value_known_only_at_build_time_passes if count(findings({"azure_tags": {"git_commit": {"kensa:unknown": "env(\"GITHUB_SHA\")"}}})) == 0

test_destination_tags_count if count(findings({"shared_image_gallery_destination": {"tags": {"commit": "abc"}}})) == 0

test_custom_keys if {
	b := build({"azure_tags": {"source_rev": "abc"}})
	count({f | some f in rule.deny with input.resource as b with data.kensa.params as {"packer": {"commit_tag_keys": ["source_rev"]}}}) == 0
}

test_tags_from_an_unknown_variable_are_undecided if {
	props := {"azure_tags": {"kensa:unknown": "var.tags has no value"}}
	count(findings(props)) == 0
	count({f | some f in rule.unknown with input.resource as build(props) with data.kensa.params as params}) == 1
}
