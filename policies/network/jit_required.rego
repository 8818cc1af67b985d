package kensa.rules.network.jit_required

import rego.v1

import data.kensa.lib.doors
import data.kensa.lib.util

metadata := {
	"id": "network.jit-required",
	"title": "Internet-facing VMs are administered through Just-In-Time access",
	"severity": "medium",
	"resource_types": ["microsoft.compute/virtualmachines"],
	"description": concat(" ", [
		"An internet-facing VM (a public IP on any NIC, or a public load balancer rule, NAT rule",
		"or NAT pool that forwards to it, whatever the port) must have a Defender for Cloud JIT",
		"policy entry that covers its OS management port: 3389 for Windows, 22 otherwise (the OS",
		"type comes from `storageProfile.osDisk.osType`, else from the OS profile).",
	]),
	"remediation": "Enable Just-In-Time VM access for the VM's management port in Defender for Cloud.",
	"help": "JIT keeps the port closed by a Deny rule and opens it for one requester's address for a bounded time, with an audit trail.",
	"snippets": {
		"arm": `{
  "type": "Microsoft.Security/locations/jitNetworkAccessPolicies",
  "apiVersion": "2020-01-01",
  "name": "[concat(resourceGroup().location, '/jit-', parameters('vmName'))]",
  "kind": "Basic",
  "properties": {
    "virtualMachines": [{
      "id": "[resourceId('Microsoft.Compute/virtualMachines', parameters('vmName'))]",
      "ports": [{ "number": 22, "protocol": "TCP", "allowedSourceAddressPrefix": "*", "maxRequestAccessDuration": "PT3H" }]
    }]
  }
}`,
		"terraform": `resource "azapi_resource" "jit" {
  type      = "Microsoft.Security/locations/jitNetworkAccessPolicies@2020-01-01"
  name      = "jit-${azurerm_linux_virtual_machine.vm.name}"
  parent_id = "${azurerm_resource_group.rg.id}/providers/Microsoft.Security/locations/${azurerm_resource_group.rg.location}"
  body = {
    kind = "Basic"
    properties = { virtualMachines = [{
      id    = azurerm_linux_virtual_machine.vm.id
      ports = [{ number = 22, protocol = "TCP", allowedSourceAddressPrefix = "*", maxRequestAccessDuration = "PT3H" }]
    }] }
  }
}`,
	},
}

# The subscription's JIT policies could not be read: no entry is not news.
unread := object.get(input.related, ["unread", "jit"], null)

os_type := t if {
	t := lower(input.resource.properties.storageProfile.osDisk.osType)
} else := "windows" if {
	input.resource.properties.osProfile.windowsConfiguration
} else := "linux"

port := 3389 if os_type == "windows"

else := 22

covered if {
	some entry in input.related.jit
	some p in entry.virtual_machine.ports
	to_number(p.number) == port
}

deny contains finding if {
	util.input_type == "microsoft.compute/virtualmachines"
	doors.internet_facing
	not covered
	unread == null
	rg := util.resource_group(input.resource)
	finding := {
		"msg": sprintf("VM '%s' faces the internet but no JIT policy covers its management port %d", [input.resource.name, port]),
		"key": sprintf("%d", [port]),
		"evidence": {"port": port, "os_type": os_type, "jit_entries": count(object.get(input.related, "jit", []))},
		"fix": sprintf(`az rest --method put --url "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Security/locations/%s/jitNetworkAccessPolicies/default?api-version=2020-01-01" --body '{"kind":"Basic","properties":{"virtualMachines":[{"id":"%s","ports":[{"number":%d,"protocol":"*","allowedSourceAddressPrefix":"*","maxRequestAccessDuration":"PT3H"}]}]}}'  # merge with the existing entries of that policy`, [object.get(input.resource, "subscriptionId", "<subscription>"), rg, object.get(input.resource, "location", "<location>"), input.resource.id, port]),
	}
}

unknown contains reason if {
	util.input_type == "microsoft.compute/virtualmachines"
	some nic in input.related.nics
	nic.resource == null
	reason := sprintf("NIC %s of VM %s is not in the inventory", [nic.id, input.resource.name])
}

# A public IP or load balancer only known at deployment (IaC), or not in the inventory, may
# make the VM internet-facing.
unknown contains reason if {
	util.input_type == "microsoft.compute/virtualmachines"
	not doors.internet_facing
	not covered
	some reason in doors.facing_unknowns
}

unknown contains sprintf("JIT policies were not read: %s", [unread]) if {
	util.input_type == "microsoft.compute/virtualmachines"
	doors.internet_facing
	not covered
	unread != null
}
