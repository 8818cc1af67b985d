package kensa.rules.packer.traceable_build

import rego.v1

import data.kensa.lib.packer
import data.kensa.lib.util

metadata := {
	"id": "packer.traceable-build",
	"title": "Golden images are tagged with the commit they were built from",
	"severity": "low",
	"resource_types": ["kensa.packer/azurearmbuilds"],
	"description": concat(" ", [
		"A Packer azure-arm build must tag its image with the source commit: one of",
		"`packer.commit_tag_keys` (default `git_commit`, `commit`, `git_sha`; any case) in",
		"`azure_tags` (or `azure_tag` blocks) or in the gallery destination's tags. The value",
		"is usually only known at build time (`${env(\"GITHUB_SHA\")}`); the key is what counts.",
	]),
	"remediation": "Add `git_commit = var.git_commit` (fed from the CI's commit SHA) to `azure_tags`.",
	"help": "Rolling back means knowing which build a machine runs: without the commit on the image, a bad image cannot be traced to the change that made it.",
	"snippets": {
		"packer": `azure_tags = {
  git_commit = var.git_commit # from the CI: GITHUB_SHA / BUILD_SOURCEVERSION
}`,
	},
}

p := packer.props

tags := object.union(
	tag_map(object.get(p, "azure_tags", {})),
	tag_map(object.get(object.get(p, "shared_image_gallery_destination", {}), "tags", {})),
)

tag_map(t) := t if is_object(t)

else := {}

keys := {lower(k) | some k in data.kensa.params.packer.commit_tag_keys}

has_commit if {
	some k, _ in tags
	lower(k) in keys
}

deny contains finding if {
	packer.is_build(input.resource)
	not has_commit
	not util.unknown(object.get(p, "azure_tags", {}))
	finding := {
		"msg": sprintf("Packer build '%s' does not tag the image with its source commit (none of %s in azure_tags)", [input.resource.name, concat(", ", sort(keys))]),
		"at": packer.at("azure_tags"),
		"evidence": {"tags": sort(object.keys(tags)), "commit_tag_keys": sort(keys)},
	}
}

unknown contains {"msg": sprintf("azure_tags: %s", [why]), "at": packer.at("azure_tags")} if {
	packer.is_build(input.resource)
	not has_commit
	why := util.unknown(object.get(p, "azure_tags", {}))
}
