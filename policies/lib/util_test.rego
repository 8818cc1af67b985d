package kensa.lib.util_test

import rego.v1

import data.kensa.lib.util

test_plain_words_stay_as_they_are if {
	util.words(["rg-app_01", "vm.1", "/subscriptions/x/y:z=a@b%c+d,e"]) == ["rg-app_01", "vm.1", "/subscriptions/x/y:z=a@b%c+d,e"]
}

test_other_words_are_quoted if {
	util.sh("") == "''"
	util.sh("my vm") == "'my vm'"
	util.sh("it's") == `'it'\''s'`
	util.sh("a$b") == "'a$b'"
	util.sh("naïve") == "'naïve'"
	util.sh("a\nb") == `$'a\nb'`
	util.sh(42) == 42
}

test_truthy_reads_booleans_and_strings_in_any_case if {
	util.truthy(true)
	util.truthy("True")
	util.truthy("TRUE")
	not util.truthy(false)
	not util.truthy("false")
	not util.truthy(1)
	not util.truthy(null)
	not util.truthy({"true": true})
	not util.truthy(["true"])
}
