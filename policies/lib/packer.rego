# Helpers for the Packer rules: a build is a `kensa.packer/azurearmbuilds` resource whose
# `properties` are the azure-arm builder's settings (snake_case, as written).
package kensa.lib.packer

import rego.v1

import data.kensa.lib.util

is_build(r) if util.is_type(r, "kensa.packer/azurearmbuilds")

props := object.get(input.resource, "properties", {})

# Where a finding about `field` points: the field when it is written, else the build.
at(field) := ["properties", field] if field in object.keys(props)

else := []
