# Tagged with the commit it was built from, untagged, and tagged from the environment.
variable "git_commit" {
  type    = string
  default = env("GITHUB_SHA")
}

source "azure-arm" "tagged" {
  use_azure_cli_auth = true
  os_type            = "Linux"
  image_publisher    = "Canonical"
  image_offer        = "0001-com-ubuntu-server-jammy"
  image_sku          = "22_04-lts-gen2"
  image_version      = "22.04.202611010"
  location           = "westeurope"
  vm_size            = "Standard_D2s_v5"
  azure_tags = {
    git_commit = "9f2c1e7"
    team       = "platform"
  }
}

source "azure-arm" "untagged" {
  use_azure_cli_auth = true
  os_type            = "Linux"
  image_publisher    = "Canonical"
  image_offer        = "0001-com-ubuntu-server-jammy"
  image_sku          = "22_04-lts-gen2"
  image_version      = "22.04.202611010"
  location           = "westeurope"
  vm_size            = "Standard_D2s_v5"
  azure_tags = {
    team = "platform"
  }
}

source "azure-arm" "from_ci" {
  use_azure_cli_auth = true
  os_type            = "Linux"
  image_publisher    = "Canonical"
  image_offer        = "0001-com-ubuntu-server-jammy"
  image_sku          = "22_04-lts-gen2"
  image_version      = "22.04.202611010"
  location           = "westeurope"
  vm_size            = "Standard_D2s_v5"
  azure_tags = {
    git_commit = var.git_commit
  }
}

build {
  sources = ["source.azure-arm.tagged", "source.azure-arm.untagged", "source.azure-arm.from_ci"]
}
