package kensa.lib.image_test

import rego.v1

import data.kensa.lib.image

golden := "/subscriptions/*/resourcegroups/rg-images/providers/microsoft.compute/galleries/golden"

# Whole-segment `*` patterns are matched segment by segment; the result must be glob.match's
# for every pattern and name, whichever way it is worked out.
cases := [
	[golden, "/subscriptions/1111/resourcegroups/rg-images/providers/microsoft.compute/galleries/golden"],
	[golden, "/subscriptions//resourcegroups/rg-images/providers/microsoft.compute/galleries/golden"],
	[golden, "/subscriptions/1111/resourcegroups/rg-images/providers/microsoft.compute/galleries/golden/x"],
	[golden, "/subscriptions/1111/2222/resourcegroups/rg-images/providers/microsoft.compute/galleries/golden"],
	[golden, "/subscriptions/1111/resourcegroups/rg-images/providers/microsoft.compute/galleries/golden2"],
	["/subscriptions/1111/resourcegroups/rg/providers/microsoft.compute/galleries/g", "/subscriptions/1111/resourcegroups/rg/providers/microsoft.compute/galleries/g"],
	["/subscriptions/1111/resourcegroups/rg/providers/microsoft.compute/galleries/g", "/subscriptions/1111/resourcegroups/rg/providers/microsoft.compute/galleries/h"],
	["/subscriptions/*/resourcegroups/rg-*/providers/microsoft.compute/galleries/*", "/subscriptions/1/resourcegroups/rg-images/providers/microsoft.compute/galleries/g"],
	["/subscriptions/*/resourcegroups/rg-*/providers/microsoft.compute/galleries/*", "/subscriptions/1/resourcegroups/images/providers/microsoft.compute/galleries/g"],
	["/subscriptions/**/galleries/golden", "/subscriptions/1/resourcegroups/rg/providers/microsoft.compute/galleries/golden"],
	["/subscriptions/?/galleries/g", "/subscriptions/1/galleries/g"],
	["/subscriptions/[12]/galleries/g", "/subscriptions/2/galleries/g"],
	["/subscriptions/{1,2}/galleries/g", "/subscriptions/3/galleries/g"],
	["*", ""],
	["*", "a/b"],
	["", ""],
]

test_segment_wise_matching_is_glob_match if {
	patterns := [c[0] | some c in cases]
	matched := {i | some i, c in cases; image.matches(c[0], c[1])} with data.kensa.params.image.approved_galleries as patterns
	matched == {i | some i, c in cases; glob.match(c[0], ["/"], c[1])}
}

test_segment_wise_matching_is_what_the_cases_ask if {
	patterns := [c[0] | some c in cases]
	segmented := {p | some p in patterns; image.star_segments[p]} with data.kensa.params.image.approved_galleries as patterns
	segmented == {golden, "/subscriptions/1111/resourcegroups/rg/providers/microsoft.compute/galleries/g", "*", ""}
	matched := {i | some i, c in cases; image.matches(c[0], c[1])} with data.kensa.params.image.approved_galleries as patterns
	matched == {0, 1, 5, 7, 9, 10, 11, 13, 15}
}
