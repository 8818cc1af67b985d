package kensa.rules.disk.encryption_test

import rego.v1

import data.kensa.rules.disk.encryption

disk(enc) := {
	"id": "/subscriptions/1111/resourceGroups/rg-app/providers/Microsoft.Compute/disks/vm1-os",
	"name": "vm1-os",
	"type": "microsoft.compute/disks",
	"properties": {"encryption": enc},
}

vm(eah) := {"id": "/subscriptions/1111/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm1", "name": "vm1", "properties": {"securityProfile": {"encryptionAtHost": eah}}}

params := {"disk": {"accept_ade": true}}

test_platform_key_unattached_fails if {
	some f in encryption.deny with input as {"resource": disk({"type": "EncryptionAtRestWithPlatformKey"}), "related": {}} with data.kensa.params as params
	contains(f.msg, "unattached")
	startswith(f.fix, "az disk update -g rg-app -n vm1-os")
}

test_missing_encryption_block_is_platform_key if {
	count(encryption.deny) == 1 with input as {"resource": disk(null), "related": {}} with data.kensa.params as params
}

test_platform_key_with_encryption_at_host_passes if {
	count(encryption.deny) == 0 with input as {"resource": disk({"type": "EncryptionAtRestWithPlatformKey"}), "related": {"vm": vm(true)}} with data.kensa.params as params
}

test_platform_key_vm_without_encryption_at_host_fails if {
	some f in encryption.deny with input as {"resource": disk({"type": "EncryptionAtRestWithPlatformKey"}), "related": {"vm": vm(false)}} with data.kensa.params as params
	contains(f.fix, "encryptionAtHost=true")
}

test_customer_key_passes if {
	count(encryption.deny) == 0 with input as {"resource": disk({"type": "EncryptionAtRestWithCustomerKey", "diskEncryptionSetId": "/x"}), "related": {}} with data.kensa.params as params
}

test_double_encryption_passes if {
	count(encryption.deny) == 0 with input as {"resource": disk({"type": "EncryptionAtRestWithPlatformAndCustomerKeys"}), "related": {}} with data.kensa.params as params
}

ade_disk := {
	"id": "/subscriptions/1111/resourceGroups/rg-app/providers/Microsoft.Compute/disks/d",
	"name": "d",
	"type": "microsoft.compute/disks",
	"properties": {"encryption": {"type": "EncryptionAtRestWithPlatformKey"}, "encryptionSettingsCollection": {"enabled": true}},
}

test_ade_accepted_by_default if {
	count(encryption.deny) == 0 with input as {"resource": ade_disk, "related": {}} with data.kensa.params as params
}

test_ade_rejected_when_configured if {
	count(encryption.deny) == 1 with input as {"resource": ade_disk, "related": {}} with data.kensa.params as {"disk": {"accept_ade": false}}
}

test_confidential_disk_passes if {
	d := {"id": "/d", "name": "d", "type": "microsoft.compute/disks", "properties": {"securityProfile": {"securityType": "ConfidentialVM_DiskEncryptedWithPlatformKey"}}}
	count(encryption.deny) == 0 with input as {"resource": d, "related": {}} with data.kensa.params as params
}

vmss(profile) := {"id": "/subscriptions/1111/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachineScaleSets/web", "name": "web", "type": "microsoft.compute/virtualmachinescalesets", "properties": {"virtualMachineProfile": profile}}

test_vmss_without_anything_fails_naming_disks if {
	p := {"storageProfile": {"osDisk": {"managedDisk": {}}, "dataDisks": [{"lun": 0, "managedDisk": {}}]}}
	some f in encryption.deny with input as {"resource": vmss(p), "related": {}} with data.kensa.params as params
	f.evidence.disks_without_encryption_set == ["OS disk", "data disk LUN 0"]
}

test_vmss_encryption_at_host_passes if {
	p := {"securityProfile": {"encryptionAtHost": true}, "storageProfile": {"osDisk": {}}}
	count(encryption.deny) == 0 with input as {"resource": vmss(p), "related": {}} with data.kensa.params as params
}

test_vmss_des_on_every_disk_passes if {
	des := {"diskEncryptionSet": {"id": "/des"}}
	p := {"storageProfile": {"osDisk": {"managedDisk": des}, "dataDisks": [{"lun": 0, "managedDisk": des}]}}
	count(encryption.deny) == 0 with input as {"resource": vmss(p), "related": {}} with data.kensa.params as params
}

test_vmss_des_on_os_only_fails if {
	p := {"storageProfile": {"osDisk": {"managedDisk": {"diskEncryptionSet": {"id": "/des"}}}, "dataDisks": [{"lun": 1, "managedDisk": {}}]}}
	some f in encryption.deny with input as {"resource": vmss(p), "related": {}} with data.kensa.params as params
	f.evidence.disks_without_encryption_set == ["data disk LUN 1"]
}

test_vmss_ade_extension_passes_unless_disabled if {
	ext := {"name": "ade", "properties": {"type": "AzureDiskEncryptionForLinux", "settings": {"EncryptionOperation": "EnableEncryption", "VolumeType": "All"}}}
	p := {"storageProfile": {"osDisk": {}}, "extensionProfile": {"extensions": [ext]}}
	count(encryption.deny) == 0 with input as {"resource": vmss(p), "related": {}} with data.kensa.params as params
	off := {"name": "ade", "properties": {"type": "AzureDiskEncryptionForLinux", "settings": {"EncryptionOperation": "DisableEncryption"}}}
	p2 := {"storageProfile": {"osDisk": {}}, "extensionProfile": {"extensions": [off]}}
	count(encryption.deny) == 1 with input as {"resource": vmss(p2), "related": {}} with data.kensa.params as params
}

# Disks declared inside a VM definition (IaC): judged on the VM, one finding per disk.
iac_vm(extra) := object.union({
	"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1",
	"name": "vm1",
	"type": "Microsoft.Compute/virtualMachines",
	"properties": {"storageProfile": {
		"osDisk": {"createOption": "FromImage", "managedDisk": {"storageAccountType": "Premium_LRS"}},
		"dataDisks": [{"lun": 0, "createOption": "Empty"}],
	}},
}, extra)

ade(volume, op) := {"properties": {"type": "AzureDiskEncryption", "settings": {"VolumeType": volume, "EncryptionOperation": op}}}

vm_keys(vm, extensions) := {f.key | some f in encryption.deny with input.resource as vm with input.related as {"extensions": extensions} with data.kensa.params as {"disk": {"accept_ade": true}}}

test_embedded_disks_fail_one_finding_each if vm_keys(iac_vm({}), []) == {"os", "lun-0"}

test_encryption_at_host_covers_embedded_disks if {
	vm_keys(iac_vm({"properties": {"securityProfile": {"encryptionAtHost": true}, "storageProfile": iac_vm({}).properties.storageProfile}}), []) == set()
}

test_ade_volume_type_decides_which_disks if {
	vm_keys(iac_vm({}), [ade("All", "EnableEncryption")]) == set()
	vm_keys(iac_vm({}), [ade("OS", "EnableEncryption")]) == {"lun-0"}
	vm_keys(iac_vm({}), [ade("Data", "EnableEncryption")]) == {"os"}
}

test_ade_disable_encrypts_nothing if vm_keys(iac_vm({}), [ade("All", "DisableEncryption")]) == {"os", "lun-0"}

test_disk_with_its_own_id_is_judged_as_a_resource if {
	vm := iac_vm({"properties": {"storageProfile": {"osDisk": {"managedDisk": {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/os1"}}}}})
	vm_keys(vm, []) == {"lun-0"}
}

u(why) := {"kensa:unknown": why}

vm_unknowns(vm, extensions) := {x.msg | some x in encryption.unknown with input.resource as vm with input.related as {"extensions": extensions} with data.kensa.params as {"disk": {"accept_ade": true}}}

mk(props) := {
	"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1",
	"name": "vm1",
	"type": "Microsoft.Compute/virtualMachines",
	"properties": props,
}

test_an_implicit_os_disk_is_a_disk if {
	vm_keys(mk({"storageProfile": {"imageReference": {"publisher": "Canonical"}}}), []) == {"os"}
	vm_keys(mk({}), []) == {"os"}
}

test_unknown_protection_of_an_embedded_disk_is_undecided_never_passed if {
	des := mk({"storageProfile": {"osDisk": {"managedDisk": {"diskEncryptionSet": {"id": u("parameter 'des' has no value")}}}}})
	vm_keys(des, []) == set()
	vm_unknowns(des, []) == {"OS disk: disk encryption set: parameter 'des' has no value"}
	cvm := mk({"storageProfile": {"osDisk": {"managedDisk": {"securityProfile": {"securityEncryptionType": u("shallowMerge() is only known at deployment")}}}}})
	vm_keys(cvm, []) == set()
	count(vm_unknowns(cvm, [])) == 1
	host := mk({"securityProfile": {"encryptionAtHost": u("var.sp has no value")}, "storageProfile": {"osDisk": {}}})
	vm_keys(host, []) == set()
	count(vm_unknowns(host, [])) == 1
}

test_unknown_ade_settings_are_undecided if {
	ext := {"properties": {"type": "AzureDiskEncryption", "settings": u("settings are not JSON")}}
	vm := mk({"storageProfile": {"osDisk": {}}})
	vm_keys(vm, [ext]) == set()
	some m in vm_unknowns(vm, [ext])
	contains(m, "Azure Disk Encryption extension: settings are not JSON")
}

test_unknown_or_unfamiliar_disk_encryption_is_undecided if {
	for_type := {"resource": disk({"type": u("parameter 'encType' has no value")}), "related": {}}
	count(encryption.deny) == 0 with input as for_type with data.kensa.params as params
	count(encryption.unknown) == 1 with input as for_type with data.kensa.params as params
	odd := {"resource": disk({"type": "EncryptionAtRestWithQuantumKeys"}), "related": {}}
	count(encryption.deny) == 0 with input as odd with data.kensa.params as params
	some m in encryption.unknown with input as odd with data.kensa.params as params
	contains(m.msg, "not one kensa knows")
	des := {"resource": disk({"type": "EncryptionAtRestWithPlatformKey", "diskEncryptionSetId": u("reference() is only known at deployment")}), "related": {}}
	count(encryption.deny) == 0 with input as des with data.kensa.params as params
	count(encryption.unknown) == 1 with input as des with data.kensa.params as params
}
