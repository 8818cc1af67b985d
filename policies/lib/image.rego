# What a VM or scale set says about its image, shared by the image.* rules.
package kensa.lib.image

import rego.v1

import data.kensa.lib.util

# The image rules judge a VM or scale set whose storage profile is there (IaC may declare a
# partial scale set that only adds an extension) and whose image reference is known. These
# are rules over input.resource, not functions: rules are computed once per evaluation,
# functions on every call, and every image rule asks.
judged if {
	path := input_path
	object.get(input.resource, array.slice(path, 0, count(path) - 1), null) != null
	not input_unknown
}

input_source := source(ref) if {
	ref := object.get(input.resource, input_path, {})
}

# JSON path of the image reference of the resource under evaluation (a rule: asked by every
# image rule).
input_path := ref_path(input.resource)

input_unknown := unknown_reason(input.resource) if util.may_be_unknown

# JSON path of the image reference.
ref_path(r) := ref_paths[util.lower_type(r)]

ref_paths := {
	"microsoft.compute/virtualmachines": ["properties", "storageProfile", "imageReference"],
	"microsoft.compute/virtualmachinescalesets": ["properties", "virtualMachineProfile", "storageProfile", "imageReference"],
}

# IaC: the field of the reference that is only known at deployment, and why.
unknown_reason(r) := {"msg": sprintf("image reference: %s", [why]), "at": ref_path(r)} if {
	why := util.unknown(object.get(r, ref_path(r), null))
} else := {"msg": sprintf("image reference %s: %s", [f, why]), "at": array.concat(ref_path(r), [f])} if {
	[f, why] := unknown_fields(r)[0]
}

unknown_fields(r) := [[f, why] |
	some f in ["id", "sharedGalleryImageId", "communityGalleryImageId", "publisher", "offer", "sku", "version"]
	why := util.unknown(object.get(r, array.concat(ref_path(r), [f]), null))
]

# Where a finding about the reference points: the version when there is one, else the id.
at(r, src) := array.concat(ref_path(r), ["version"]) if src.kind == "marketplace"

else := array.concat(ref_path(r), ["id"]) if src.kind in {"gallery", "managed"}

else := ref_path(r)

# Compute Gallery references: /subscriptions/…/galleries/G/images/I[/versions/V]
gallery_parts(id) := {
	"gallery": concat("/", array.slice(parts, 0, i + 2)),
	"definition": concat("/", array.slice(parts, 0, i + 4)),
	"version": segment(parts, i + 5),
} if {
	parts := split(id, "/")
	i := [n | some n, p in parts; lower(p) == "galleries"; lower(segment(parts, n + 2)) == "images"][0]
}

segment(parts, i) := parts[i] if i < count(parts)

else := ""

# Direct shared / community gallery references have their own id shapes.
shared_parts(id) := {
	"gallery": concat("/", array.slice(parts, 0, i + 2)),
	"version": segment(parts, i + 5),
} if {
	parts := split(id, "/")
	i := [n | some n, p in parts; lower(p) in {"sharedgalleries", "communitygalleries"}][0]
}

# One description of the image source: kind gallery|shared|community|managed|marketplace|none.
# Every argument below is a defined string (object.get with a default): the Rego VM binds
# the result of a function called with an undefined argument instead of failing the body.
source(ref) := {"kind": "gallery", "id": id, "gallery": g.gallery, "version": g.version} if {
	id := object.get(ref, "id", "")
	g := gallery_parts(id)
	is_object(g)
} else := {"kind": "shared", "id": id, "gallery": s.gallery, "version": s.version} if {
	id := object.get(ref, "sharedGalleryImageId", "")
	s := shared_parts(id)
	is_object(s)
} else := {"kind": "community", "id": id, "gallery": s.gallery, "version": s.version} if {
	id := object.get(ref, "communityGalleryImageId", "")
	s := shared_parts(id)
	is_object(s)
} else := {"kind": "managed", "id": id} if {
	id := object.get(ref, "id", "")
	contains(lower(id), "/providers/microsoft.compute/images/")
} else := {
	"kind": "marketplace",
	"id": sprintf("%s:%s:%s:%s", [ref.publisher, object.get(ref, "offer", ""), object.get(ref, "sku", ""), object.get(ref, "version", "")]),
	"version": object.get(ref, "version", ""),
} if {
	is_string(ref.publisher)
} else := {"kind": "none", "id": ""}

# Whether the image of the resource under evaluation lies in an approved gallery (a rule:
# two image rules ask, and matching the patterns is most of what either costs).
input_gallery_approved if {
	gallery := input_source.gallery
	approved_gallery(gallery)
}

approved_gallery(gallery) if {
	some pattern in data.kensa.params.image.approved_galleries
	matches(lower(pattern), lower(gallery))
}

# glob.match(pattern, ["/"], name). A pattern whose only wildcards are whole `*` segments
# (`/subscriptions/*/resourceGroups/…`) is compared segment by segment: regorus hands each
# glob.match call a copy of its matcher whose search cache starts empty, which cost more
# than all the other image rules.
matches(pattern, name) if {
	[size, fixed] := star_segments[pattern]
	not contains(name, "\u0000")
	n := split(name, "/")
	count(n) == size
	every f in fixed {
		n[f[0]] == f[1]
	}
}

matches(pattern, name) if {
	not star_segments[pattern]
	glob.match(pattern, ["/"], name)
}

# The approved patterns (lower case) whose segments are each `*` or free of glob syntax
# (and without the NUL glob.match refuses), each with its number of segments and the
# [index, text] of those that are not `*`. They depend on the configuration alone: in the
# VM, kensa works them out once per scan and hands them over as `data.kensa.scan`
# (evaluate/mod.rs, `SCAN_FACTS`); elsewhere once per evaluation.
star_segments := segments if {
	segments := data.kensa.scan.star_segments
} else := pattern_segments

pattern_segments[pattern] := [count(segments), fixed] if {
	some p in data.kensa.params.image.approved_galleries
	pattern := lower(p)
	segments := split(pattern, "/")
	fixed := [[i, s] | some i, s in segments; s != "*"]
	literal := concat("/", [f[1] | some f in fixed])
	# Nothing to remove means none of them is there (one call, not one per character).
	strings.replace_n(glob_syntax, literal) == literal
}

glob_syntax := {"*": "", "?": "", "[": "", "]": "", "{": "", "}": "", "\\": "", "\u0000": ""}

# Human words for a source, used in messages.
label(src) := sprintf("gallery image %s/%s%s", [name(src.gallery), name(definition(src.id)), version_label(src.version)]) if {
	src.kind == "gallery"
} else := sprintf("%s image %s", [src.kind, src.id]) if {
	src.id != ""
} else := "no image reference"

name(id) := parts[count(parts) - 1] if parts := split(id, "/")

definition(id) := gallery_parts(id).definition

version_label("") := " (no version)"

version_label(v) := sprintf(" version %s", [v]) if v != ""
