package kensa.rules.disk.encryption

import rego.v1

import data.kensa.lib.util

metadata := {
	"id": "disk.encryption",
	"title": "Disks are encrypted beyond platform-managed keys",
	"severity": "high",
	"resource_types": ["microsoft.compute/disks", "microsoft.compute/virtualmachinescalesets"],
	"description": concat(" ", [
		"A managed disk encrypted only with platform keys (`EncryptionAtRestWithPlatformKey`, or",
		"no `encryption` block, which means the same) fails unless its VM has encryption at host",
		"(`securityProfile.encryptionAtHost`), the disk is ADE-encrypted",
		"(`encryptionSettingsCollection.enabled`, accepted unless `disk.accept_ade = false`), or",
		"it is a confidential-VM disk with its own encryption. Customer-managed and double",
		"encryption pass. Unattached disks count. A scale set fails when its model has neither",
		"encryption at host nor a disk encryption set on every disk (OS and data) nor, with",
		"`accept_ade`, an Azure Disk Encryption extension that enables encryption.",
	]),
	"remediation": "Enable encryption at host on the VM, or attach a disk encryption set (customer-managed key) to the disk.",
	"help": "Platform keys protect against a stolen drive, not against someone who can read the storage account. Encryption at host also covers temp disks and caches; a customer key lets you revoke access.",
}

platform_only := {"", "encryptionatrestwithplatformkey"}

confidential := {"confidentialvm_diskencryptedwithplatformkey", "confidentialvm_diskencryptedwithcustomerkey"}

encryption_type(disk) := object.get(disk, ["properties", "encryption", "type"], "")

vm_encryption_at_host(vm) if util.truthy(vm.properties.securityProfile.encryptionAtHost)

ade_enabled(disk) if {
	data.kensa.params.disk.accept_ade
	util.truthy(disk.properties.encryptionSettingsCollection.enabled)
}

covered(disk) if vm_encryption_at_host(input.related.vm)

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

# Scale sets: the model decides for every instance.
model := input.resource.properties.virtualMachineProfile

model_disks contains {"name": "OS disk", "des": object.get(model, ["storageProfile", "osDisk", "managedDisk", "diskEncryptionSet", "id"], "")}

model_disks contains {"name": sprintf("data disk LUN %v", [d.lun]), "des": object.get(d, ["managedDisk", "diskEncryptionSet", "id"], "")} if {
	some d in object.get(model, ["storageProfile", "dataDisks"], [])
}

model_ade if {
	data.kensa.params.disk.accept_ade
	some ext in object.get(model, ["extensionProfile", "extensions"], [])
	lower(ext.properties.type) in {"azurediskencryption", "azurediskencryptionforlinux"}
	lower(object.get(ext.properties, ["settings", "EncryptionOperation"], "EnableEncryption")) == "enableencryption"
}

deny contains finding if {
	util.is_type(input.resource, "microsoft.compute/virtualmachinescalesets")
	not util.truthy(object.get(model, ["securityProfile", "encryptionAtHost"], false))
	not model_ade
	bare := sort([d.name | some d in model_disks; d.des == ""])
	count(bare) > 0
	rg := util.resource_group(input.resource)
	finding := {
		"msg": sprintf("Scale set '%s' has no encryption at host and no disk encryption set on: %s", [input.resource.name, concat(", ", bare)]),
		"evidence": {"disks_without_encryption_set": bare, "encryption_at_host": false},
		"fix": sprintf("az vmss update -g %s -n %s --set virtualMachineProfile.securityProfile.encryptionAtHost=true  # deallocate the scale set first, then upgrade the instances", [rg, input.resource.name]),
	}
}
