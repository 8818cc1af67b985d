package kensa.rules.disk.encryption

import rego.v1

import data.kensa.lib.util

metadata := {
	"id": "disk.encryption",
	"title": "Disks are encrypted beyond platform-managed keys",
	"severity": "high",
	"resource_types": ["microsoft.compute/disks", "microsoft.compute/virtualmachines", "microsoft.compute/virtualmachinescalesets"],
	"description": concat(" ", [
		"A managed disk encrypted only with platform keys (`EncryptionAtRestWithPlatformKey`, or",
		"no `encryption` block, which means the same) fails unless its VM has encryption at host",
		"(`securityProfile.encryptionAtHost`), the disk is ADE-encrypted",
		"(`encryptionSettingsCollection.enabled`, accepted unless `disk.accept_ade = false`), or",
		"it is a confidential-VM disk with its own encryption. Customer-managed and double",
		"encryption pass. Unattached disks count. A scale set fails when its model has neither",
		"encryption at host nor a disk encryption set on every disk (OS and data) nor, with",
		"`accept_ade`, an Azure Disk Encryption extension that enables encryption for that",
		"volume (`VolumeType` All, OS or Data). Disks declared inside a VM definition (IaC)",
		"are judged on the VM, one finding per disk; `DisableEncryption` encrypts nothing.",
	]),
	"remediation": "Enable encryption at host on the VM, or attach a disk encryption set (customer-managed key) to the disk.",
	"help": "Platform keys protect against a stolen drive, not against someone who can read the storage account. Encryption at host also covers temp disks and caches; a customer key lets you revoke access.",
	"snippets": {
		"arm": `"securityProfile": {
  "encryptionAtHost": true
}`,
		"terraform": `encryption_at_host_enabled = true
# or, per disk: disk_encryption_set_id = azurerm_disk_encryption_set.cmk.id`,
	},
}

platform_only := {"", "encryptionatrestwithplatformkey"}

customer_key := {"encryptionatrestwithcustomerkey", "encryptionatrestwithplatformandcustomerkeys"}

confidential := {"confidentialvm_diskencryptedwithplatformkey", "confidentialvm_diskencryptedwithcustomerkey"}

encryption_type(disk) := object.get(disk, ["properties", "encryption", "type"], "")

# The first value in `values` (each [what, value]) that is only known at deployment.
first_unknown(values) := reasons[0] if {
	reasons := [sprintf("%s: %s", [what, why]) | some [what, v] in values; why := util.unknown(v)]
	count(reasons) > 0
}

# How a managed disk resource is encrypted beyond platform keys: "yes", "no", or why it
# cannot be known (a value only known at deployment, an encryption type kensa does not
# know). Any known protection decides "yes"; only then do unknowns make it undecided.
disk_protection(disk) := type_protection(disk, encryption_type(disk))

# The same, with the disk's encryption type read once.
type_protection(disk, t) := "yes" if {
	lower(sprintf("%v", [t])) in customer_key
} else := sprintf("encryption type: %s", [why]) if {
	why := util.unknown(t)
} else := sprintf("encryption type '%v' is not one kensa knows", [t]) if {
	not lower(sprintf("%v", [t])) in (platform_only | customer_key)
} else := "yes" if {
	des := object.get(disk, ["properties", "encryption", "diskEncryptionSetId"], "")
	is_string(des)
	des != ""
} else := "yes" if {
	vm_encryption_at_host(input.related.vm)
} else := "yes" if {
	ade_enabled(disk)
} else := "yes" if {
	lower(sprintf("%v", [object.get(disk, ["properties", "securityProfile", "securityType"], "")])) in confidential
} else := why if {
	why := first_unknown([
		["disk encryption set", object.get(disk, ["properties", "encryption", "diskEncryptionSetId"], null)],
		["encryption at host of its VM", object.get(input.related, ["vm", "properties", "securityProfile", "encryptionAtHost"], null)],
		["Azure Disk Encryption", object.get(disk, ["properties", "encryptionSettingsCollection", "enabled"], null)],
		["security type", object.get(disk, ["properties", "securityProfile", "securityType"], null)],
	])
} else := "no"

# A rule, not a call in each of `deny` and `unknown`: regorus caches a rule's value for the
# evaluation but re-runs a function on every call.
resource_protection := disk_protection(input.resource) if util.input_type == "microsoft.compute/disks"

vm_encryption_at_host(vm) if util.truthy(vm.properties.securityProfile.encryptionAtHost)

ade_enabled(disk) if {
	data.kensa.params.disk.accept_ade
	util.truthy(disk.properties.encryptionSettingsCollection.enabled)
}

# The same, as API versions before 2018 wrote it.
ade_enabled(disk) if {
	data.kensa.params.disk.accept_ade
	util.truthy(disk.properties.encryptionSettings.enabled)
}

deny contains finding if {
	util.input_type == "microsoft.compute/disks"
	resource_protection == "no"
	finding := {
		"msg": sprintf("Disk '%s'%s is encrypted only with platform-managed keys (no encryption at host, ADE or customer key)", [input.resource.name, attached]),
		"evidence": {"encryption_type": encryption_type(input.resource), "vm": object.get(input.related, ["vm", "id"], null)},
		"fix": disk_fix,
	}
}

unknown contains {"msg": why, "at": ["properties", "encryption"]} if {
	util.input_type == "microsoft.compute/disks"
	why := resource_protection
	not why in {"yes", "no"}
}

attached := sprintf(" (attached to VM '%s')", [input.related.vm.name]) if input.related.vm

else := " (unattached)"

disk_fix := sprintf("az vm deallocate -g %s -n %s && az vm update -g %s -n %s --set securityProfile.encryptionAtHost=true && az vm start -g %s -n %s  # needs the EncryptionAtHost feature on the subscription; the VM restarts", util.words([rg, vm, rg, vm, rg, vm])) if {
	vm := input.related.vm.name
	rg := util.resource_group(input.related.vm)
} else := sprintf("az disk update -g %s -n %s --encryption-type EncryptionAtRestWithCustomerKey --disk-encryption-set \"$DISK_ENCRYPTION_SET_ID\"", util.words([util.resource_group(input.resource), input.resource.name]))

# Disks declared inside a VM or scale-set definition (IaC; a live VM's managed disks are
# resources of their own, with an id, and judged above). Unmanaged (VHD) disks are not
# managed disks and are not judged here.
embedded(storage, prefix) := array.concat(
	[d |
		# A machine always has an OS disk: one the template leaves out is a managed disk
		# with platform keys (Azure creates it from the image).
		os := object.get(storage, "osDisk", {})
		is_object(os)
		not os.vhd
		object.get(os, ["managedDisk", "id"], "") == ""
		d := {"name": "OS disk", "key": "os", "volume": "os", "disk": os, "at": array.concat(prefix, ["osDisk"])}
	],
	[d |
		some i, dd in util.list(object.get(storage, "dataDisks", null))
		is_object(dd)
		not dd.vhd
		object.get(dd, ["managedDisk", "id"], "") == ""
		d := {"name": sprintf("data disk LUN %v", [object.get(dd, "lun", i)]), "key": sprintf("lun-%v", [object.get(dd, "lun", i)]), "volume": "data", "disk": dd, "at": array.concat(prefix, ["dataDisks", i])}
	],
)

# How an embedded disk is encrypted beyond platform keys: "yes", "no" or why it cannot be
# known. `ade` is the set of volumes ADE extensions encrypt; `ade_unknown` why one of them
# cannot be read (or undefined).
protection(d, host, ade, ade_unknown) := why if {
	why := util.unknown(d.disk)
} else := "yes" if {
	id := object.get(d.disk, ["managedDisk", "diskEncryptionSet", "id"], "")
	is_string(id)
	id != ""
} else := "yes" if {
	t := object.get(d.disk, ["managedDisk", "securityProfile", "securityEncryptionType"], "")
	is_string(t)
	t != ""
} else := "yes" if {
	util.truthy(host)
} else := "yes" if {
	d.volume in ade
} else := why if {
	why := first_unknown([
		["encryption at host", host],
		["disk encryption set", object.get(d.disk, ["managedDisk", "diskEncryptionSet"], null)],
		["disk encryption set", object.get(d.disk, ["managedDisk", "diskEncryptionSet", "id"], null)],
		["confidential encryption", object.get(d.disk, ["managedDisk", "securityProfile", "securityEncryptionType"], null)],
	])
} else := ade_unknown if {
	ade_unknown != ""
} else := "no"

# Volumes an Azure Disk Encryption extension encrypts: {"os", "data"} for All, one for OS or
# Data, none when it disables encryption (or ADE is not accepted).
ade_volumes(ext_props) := set() if {
	not data.kensa.params.disk.accept_ade
} else := set() if {
	# Settings only known at deployment: nothing is known to be encrypted (ade_unknown says why).
	util.any_unknown([
		object.get(ext_props, "type", null),
		object.get(ext_props, "settings", null),
		object.get(ext_props, ["settings", "EncryptionOperation"], null),
		object.get(ext_props, ["settings", "VolumeType"], null),
	])
} else := set() if {
	not lower(sprintf("%v", [object.get(ext_props, "type", "")])) in {"azurediskencryption", "azurediskencryptionforlinux"}
} else := set() if {
	lower(sprintf("%v", [object.get(ext_props, ["settings", "EncryptionOperation"], "EnableEncryption")])) != "enableencryption"
} else := {"os"} if {
	lower(sprintf("%v", [object.get(ext_props, ["settings", "VolumeType"], "All")])) == "os"
} else := {"data"} if {
	lower(sprintf("%v", [object.get(ext_props, ["settings", "VolumeType"], "All")])) == "data"
} else := {"os", "data"}

# Why an ADE extension's effect cannot be known (an unknown type or setting); "" when it can
# (always defined: an undefined argument would make `protection` undefined, a silent pass).
ade_unknown(exts) := reasons[0] if {
	data.kensa.params.disk.accept_ade
	reasons := [sprintf("Azure Disk Encryption extension: %s", [why]) |
		some ext in exts
		some v in [
			object.get(ext, ["properties", "type"], null),
			object.get(ext, ["properties", "settings"], null),
			object.get(ext, ["properties", "settings", "EncryptionOperation"], null),
			object.get(ext, ["properties", "settings", "VolumeType"], null),
		]
		why := util.unknown(v)
	]
	count(reasons) > 0
} else := ""

vm_exts := util.list(object.get(input.related, "extensions", null))

vm_ade := {v | some ext in vm_exts; some v in ade_volumes(ext.properties)}

vm_ade_unknown := ade_unknown(vm_exts)

vm_disks := embedded(object.get(input.resource, ["properties", "storageProfile"], {}), ["properties", "storageProfile"])

vm_host := object.get(input.resource, ["properties", "securityProfile", "encryptionAtHost"], false)

deny contains finding if {
	util.input_type == "microsoft.compute/virtualmachines"
	some d in vm_disks
	protection(d, vm_host, vm_ade, vm_ade_unknown) == "no"
	rg := util.resource_group(input.resource)
	finding := {
		"msg": sprintf("VM '%s' %s is encrypted only with platform-managed keys (no encryption at host, disk encryption set, confidential encryption or ADE)", [input.resource.name, d.name]),
		"key": d.key,
		"at": d.at,
		"evidence": {"disk": d.name, "encryption_at_host": false},
		"fix": sprintf("az vm deallocate -g %s -n %s && az vm update -g %s -n %s --set securityProfile.encryptionAtHost=true && az vm start -g %s -n %s  # needs the EncryptionAtHost feature on the subscription", util.words([rg, input.resource.name, rg, input.resource.name, rg, input.resource.name])),
	}
}

unknown contains {"msg": sprintf("%s: %s", [d.name, why]), "at": d.at} if {
	util.input_type == "microsoft.compute/virtualmachines"
	some d in vm_disks
	why := protection(d, vm_host, vm_ade, vm_ade_unknown)
	not why in {"yes", "no"}
}

# Scale sets: the model decides for every instance.
model := object.get(input.resource, ["properties", "virtualMachineProfile"], {})

model_disks := embedded(object.get(model, "storageProfile", {"osDisk": {}}), ["properties", "virtualMachineProfile", "storageProfile"])

model_exts := object.get(model, ["extensionProfile", "extensions"], [])

model_ade := {v | some ext in model_exts; some v in ade_volumes(ext.properties)}

model_ade_unknown := ade_unknown(model_exts)

model_host := object.get(model, ["securityProfile", "encryptionAtHost"], false)

deny contains finding if {
	util.input_type == "microsoft.compute/virtualmachinescalesets"
	bare_disks := [d | some d in model_disks; protection(d, model_host, model_ade, model_ade_unknown) == "no"]
	bare := sort([d.name | some d in bare_disks])
	count(bare) > 0
	rg := util.resource_group(input.resource)
	finding := {
		"msg": sprintf("Scale set '%s' has no encryption at host and no disk encryption set on: %s", [input.resource.name, concat(", ", bare)]),
		"at": bare_disks[0].at,
		"evidence": {"disks_without_encryption_set": bare, "encryption_at_host": false},
		"fix": sprintf("az vmss update -g %s -n %s --set virtualMachineProfile.securityProfile.encryptionAtHost=true  # deallocate the scale set first, then upgrade the instances", util.words([rg, input.resource.name])),
	}
}

unknown contains {"msg": sprintf("%s: %s", [d.name, why]), "at": d.at} if {
	util.input_type == "microsoft.compute/virtualmachinescalesets"
	some d in model_disks
	why := protection(d, model_host, model_ade, model_ade_unknown)
	not why in {"yes", "no"}
}
