# Two scale sets: one encrypted by an Azure Disk Encryption extension declared on its own,
# one with only platform keys.
resource "azurerm_linux_virtual_machine_scale_set" "ade" {
  name                = "ss-ade"
  resource_group_name = "rg-app"
  location            = "westeurope"
  sku                 = "Standard_D2s_v5"
  instances           = 2
  admin_username      = "azureuser"

  os_disk {
    caching              = "ReadWrite"
    storage_account_type = "Premium_LRS"
  }
}

resource "azurerm_virtual_machine_scale_set_extension" "ade" {
  name                         = "AzureDiskEncryptionForLinux"
  virtual_machine_scale_set_id = azurerm_linux_virtual_machine_scale_set.ade.id
  publisher                    = "Microsoft.Azure.Security"
  type                         = "AzureDiskEncryptionForLinux"
  type_handler_version         = "1.1"
  settings = jsonencode({
    EncryptionOperation    = "EnableEncryption"
    VolumeType             = "All"
    KeyVaultURL            = "https://kv-app.vault.azure.net/"
    KeyVaultResourceId     = "/subscriptions/3f2a6d7e-1c4b-4e8a-9d2f-7a1b5c9e0d11/resourceGroups/rg-app/providers/Microsoft.KeyVault/vaults/kv-app"
  })
}

resource "azurerm_linux_virtual_machine_scale_set" "bare" {
  name                = "ss-bare"
  resource_group_name = "rg-app"
  location            = "westeurope"
  sku                 = "Standard_D2s_v5"
  instances           = 2
  admin_username      = "azureuser"

  os_disk {
    caching              = "ReadWrite"
    storage_account_type = "Premium_LRS"
  }
}
