# A pinned marketplace base and a floating one.
source "azure-arm" "pinned" {
  use_azure_cli_auth = true
  os_type            = "Linux"
  image_publisher    = "Canonical"
  image_offer        = "0001-com-ubuntu-server-jammy"
  image_sku          = "22_04-lts-gen2"
  image_version      = "22.04.202611010"
  location           = "westeurope"
  vm_size            = "Standard_D2s_v5"
}

source "azure-arm" "floating" {
  use_azure_cli_auth = true
  os_type            = "Linux"
  image_publisher    = "Canonical"
  image_offer        = "0001-com-ubuntu-server-jammy"
  image_sku          = "22_04-lts-gen2"
  image_version      = "latest"
  location           = "westeurope"
  vm_size            = "Standard_D2s_v5"
}

build {
  sources = ["source.azure-arm.pinned", "source.azure-arm.floating"]
}
