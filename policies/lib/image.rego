# What a VM or scale set says about its image, shared by the image.* rules.
package kensa.lib.image

import rego.v1

import data.kensa.lib.util

reference(r) := ref if {
	util.is_type(r, "microsoft.compute/virtualmachines")
	ref := object.get(r, ["properties", "storageProfile", "imageReference"], {})
} else := ref if {
	util.is_type(r, "microsoft.compute/virtualmachinescalesets")
	ref := object.get(r, ["properties", "virtualMachineProfile", "storageProfile", "imageReference"], {})
}

applies(r) if util.is_type(r, "microsoft.compute/virtualmachines")

applies(r) if util.is_type(r, "microsoft.compute/virtualmachinescalesets")

# Compute Gallery references: /subscriptions/…/galleries/G/images/I[/versions/V]
gallery_parts(id) := {
	"gallery": concat("/", array.slice(parts, 0, i + 2)),
	"definition": concat("/", array.slice(parts, 0, i + 4)),
	"version": segment(parts, i + 5),
} if {
	parts := split(id, "/")
	some i, p in parts
	lower(p) == "galleries"
	lower(segment(parts, i + 2)) == "images"
}

segment(parts, i) := parts[i] if i < count(parts)

else := ""

# Direct shared / community gallery references have their own id shapes.
shared_parts(id) := {
	"gallery": concat("/", array.slice(parts, 0, i + 2)),
	"version": segment(parts, i + 5),
} if {
	parts := split(id, "/")
	some i, p in parts
	lower(p) in {"sharedgalleries", "communitygalleries"}
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

approved_gallery(gallery) if {
	some pattern in data.kensa.params.image.approved_galleries
	glob.match(lower(pattern), ["/"], lower(gallery))
}

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
