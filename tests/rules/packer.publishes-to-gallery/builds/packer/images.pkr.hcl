# One build publishes to the approved golden gallery, one only makes a managed image.
source "azure-arm" "golden" {
  use_azure_cli_auth = true
  os_type            = "Linux"
  image_publisher    = "Canonical"
  image_offer        = "0001-com-ubuntu-server-jammy"
  image_sku          = "22_04-lts-gen2"
  image_version      = "22.04.202611010"
  location           = "westeurope"
  vm_size            = "Standard_D2s_v5"

  shared_image_gallery_destination {
    subscription   = "3f2a6d7e-1c4b-4e8a-9d2f-7a1b5c9e0d11"
    resource_group = "rg-images"
    gallery_name   = "golden"
    image_name     = "ubuntu-2204"
    image_version  = "2026.11.3"
  }
}

source "azure-arm" "scratch" {
  use_azure_cli_auth                = true
  os_type                           = "Linux"
  image_publisher                   = "Canonical"
  image_offer                       = "0001-com-ubuntu-server-jammy"
  image_sku                         = "22_04-lts-gen2"
  image_version                     = "22.04.202611010"
  managed_image_name                = "scratch"
  managed_image_resource_group_name = "rg-scratch"
  location                          = "westeurope"
  vm_size                           = "Standard_D2s_v5"
}

build {
  sources = ["source.azure-arm.golden", "source.azure-arm.scratch"]
}
