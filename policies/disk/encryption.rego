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

confidential := {"confidentialvm_diskencryptedwithplatformkey", "confidentialvm_diskencryptedwithcustomerkey"}

encryption_type(disk) := object.get(disk, ["properties", "encryption", "type"], "")

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

covered(disk) if vm_encryption_at_host(input.related.vm)

# A disk encryption set without `type` (IaC) means a customer-managed key.
covered(disk) if object.get(disk, ["properties", "encryption", "diskEncryptionSetId"], "") != ""

covered(disk) if ade_enabled(disk)

covered(disk) if lower(object.get(disk, ["properties", "securityProfile", "securityType"], "")) in confidential

deny contains finding if {
	util.is_type(input.resource, "microsoft.compute/disks")
	lower(encryption_type(input.resource)) in platform_only
	not covered(input.resource)
	finding := {
		"msg": sprintf("Disk '%s'%s is encrypted only with platform-managed keys (no encryption at host, ADE or customer key)", [input.resource.name, attached]),
		"evidence": {"encryption_type": encryption_type(input.resource), "vm": object.get(input.related, ["vm", "id"], null)},
		"fix": disk_fix,
	}
}

attached := sprintf(" (attached to VM '%s')", [input.related.vm.name]) if input.related.vm

else := " (unattached)"

disk_fix := sprintf("az vm deallocate -g %s -n %s && az vm update -g %s -n %s --set securityProfile.encryptionAtHost=true && az vm start -g %s -n %s  # needs the EncryptionAtHost feature on the subscription; the VM restarts", [rg, vm, rg, vm, rg, vm]) if {
	vm := input.related.vm.name
	rg := util.resource_group(input.related.vm)
} else := sprintf("az disk update -g %s -n %s --encryption-type EncryptionAtRestWithCustomerKey --disk-encryption-set <disk encryption set id>", [util.resource_group(input.resource), input.resource.name])

# Disks declared inside a VM or scale-set definition (IaC; a live VM's managed disks are
# resources of their own, with an id, and judged above). Unmanaged (VHD) disks are not
# managed disks and are not judged here.
embedded(storage, prefix) := array.concat(
	[d |
		os := object.get(storage, "osDisk", null)
		is_object(os)
		not os.vhd
		object.get(os, ["managedDisk", "id"], "") == ""
		d := {"name": "OS disk", "key": "os", "volume": "os", "disk": os, "at": array.concat(prefix, ["osDisk"])}
	],
	[d |
		some i, dd in object.get(storage, "dataDisks", [])
		is_object(dd)
		not dd.vhd
		object.get(dd, ["managedDisk", "id"], "") == ""
		d := {"name": sprintf("data disk LUN %v", [object.get(dd, "lun", i)]), "key": sprintf("lun-%v", [object.get(dd, "lun", i)]), "volume": "data", "disk": dd, "at": array.concat(prefix, ["dataDisks", i])}
	],
)

# How an embedded disk is encrypted beyond platform keys: "yes", "no" or an unknown reason.
protection(d, host, ade) := "yes" if {
	des := object.get(d.disk, ["managedDisk", "diskEncryptionSet"], null)
	des != null
	not util.unknown(des)
	object.get(des, "id", "") != ""
} else := "yes" if {
	object.get(d.disk, ["managedDisk", "securityProfile", "securityEncryptionType"], "") != ""
} else := "yes" if {
	util.truthy(host)
} else := "yes" if {
	d.volume in ade
} else := why if {
	why := util.unknown(host)
} else := why if {
	why := util.unknown(object.get(d.disk, ["managedDisk", "diskEncryptionSet"], null))
} else := "no"

# Volumes an Azure Disk Encryption extension encrypts: {"os", "data"} for All, one for OS or
# Data, none when it disables encryption (or ADE is not accepted).
ade_volumes(ext_props) := set() if {
	not data.kensa.params.disk.accept_ade
} else := set() if {
	not lower(object.get(ext_props, "type", "")) in {"azurediskencryption", "azurediskencryptionforlinux"}
} else := set() if {
	lower(object.get(ext_props, ["settings", "EncryptionOperation"], "EnableEncryption")) != "enableencryption"
} else := {"os"} if {
	lower(object.get(ext_props, ["settings", "VolumeType"], "All")) == "os"
} else := {"data"} if {
	lower(object.get(ext_props, ["settings", "VolumeType"], "All")) == "data"
} else := {"os", "data"}

vm_ade := {v | some ext in object.get(input.related, "extensions", []); some v in ade_volumes(ext.properties)}

vm_disks := embedded(object.get(input.resource, ["properties", "storageProfile"], {}), ["properties", "storageProfile"])

vm_host := object.get(input.resource, ["properties", "securityProfile", "encryptionAtHost"], false)

deny contains finding if {
	util.is_type(input.resource, "microsoft.compute/virtualmachines")
	some d in vm_disks
	protection(d, vm_host, vm_ade) == "no"
	rg := util.resource_group(input.resource)
	finding := {
		"msg": sprintf("VM '%s' %s is encrypted only with platform-managed keys (no encryption at host, disk encryption set, confidential encryption or ADE)", [input.resource.name, d.name]),
		"key": d.key,
		"at": d.at,
		"evidence": {"disk": d.name, "encryption_at_host": false},
		"fix": sprintf("az vm deallocate -g %s -n %s && az vm update -g %s -n %s --set securityProfile.encryptionAtHost=true && az vm start -g %s -n %s  # needs the EncryptionAtHost feature on the subscription", [rg, input.resource.name, rg, input.resource.name, rg, input.resource.name]),
	}
}

unknown contains {"msg": sprintf("%s: %s", [d.name, why]), "at": d.at} if {
	util.is_type(input.resource, "microsoft.compute/virtualmachines")
	some d in vm_disks
	why := protection(d, vm_host, vm_ade)
	not why in {"yes", "no"}
}

# Scale sets: the model decides for every instance.
model := object.get(input.resource, ["properties", "virtualMachineProfile"], {})

model_disks := embedded(object.get(model, "storageProfile", {"osDisk": {}}), ["properties", "virtualMachineProfile", "storageProfile"])

model_ade := {v | some ext in object.get(model, ["extensionProfile", "extensions"], []); some v in ade_volumes(ext.properties)}

model_host := object.get(model, ["securityProfile", "encryptionAtHost"], false)

deny contains finding if {
	util.is_type(input.resource, "microsoft.compute/virtualmachinescalesets")
	bare_disks := [d | some d in model_disks; protection(d, model_host, model_ade) == "no"]
	bare := sort([d.name | some d in bare_disks])
	count(bare) > 0
	rg := util.resource_group(input.resource)
	finding := {
		"msg": sprintf("Scale set '%s' has no encryption at host and no disk encryption set on: %s", [input.resource.name, concat(", ", bare)]),
		"at": bare_disks[0].at,
		"evidence": {"disks_without_encryption_set": bare, "encryption_at_host": false},
		"fix": sprintf("az vmss update -g %s -n %s --set virtualMachineProfile.securityProfile.encryptionAtHost=true  # deallocate the scale set first, then upgrade the instances", [rg, input.resource.name]),
	}
}

unknown contains {"msg": sprintf("%s: %s", [d.name, why]), "at": d.at} if {
	util.is_type(input.resource, "microsoft.compute/virtualmachinescalesets")
	some d in model_disks
	why := protection(d, model_host, model_ade)
	not why in {"yes", "no"}
}
