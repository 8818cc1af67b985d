# The same estate as ../arm/azuredeploy.json, as azurerm resources: for_each over the VMs,
# associations linking NICs to NAT rules, backend pools and application security groups.

resource "azurerm_resource_group" "lb" {
  name     = "rg-lb"
  location = "westeurope"
}

resource "azurerm_virtual_network" "lb" {
  name                = "vnet-lb"
  resource_group_name = azurerm_resource_group.lb.name
  location            = azurerm_resource_group.lb.location
  address_space       = ["10.1.0.0/16"]
}

resource "azurerm_subnet" "snet_app" {
  name                 = "snet-app"
  resource_group_name  = azurerm_resource_group.lb.name
  virtual_network_name = azurerm_virtual_network.lb.name
  address_prefixes     = ["10.1.2.0/24"]
}

resource "azurerm_subnet_network_security_group_association" "snet_app" {
  subnet_id                 = azurerm_subnet.snet_app.id
  network_security_group_id = azurerm_network_security_group.nsg_app.id
}

resource "azurerm_subnet" "snet_open" {
  name                 = "snet-open"
  resource_group_name  = azurerm_resource_group.lb.name
  virtual_network_name = azurerm_virtual_network.lb.name
  address_prefixes     = ["10.1.3.0/24"]
}

resource "azurerm_subnet" "snet_asg" {
  name                 = "snet-asg"
  resource_group_name  = azurerm_resource_group.lb.name
  virtual_network_name = azurerm_virtual_network.lb.name
  address_prefixes     = ["10.1.4.0/24"]
}

resource "azurerm_subnet_network_security_group_association" "snet_asg" {
  subnet_id                 = azurerm_subnet.snet_asg.id
  network_security_group_id = azurerm_network_security_group.nsg_asg.id
}

resource "azurerm_network_security_group" "nsg_app" {
  name                = "nsg-app"
  resource_group_name = azurerm_resource_group.lb.name
  location            = azurerm_resource_group.lb.location

  security_rule {
    name                       = "allow-ssh"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_address_prefix      = "*"
    source_port_range          = "*"
    destination_port_range     = "22"
    destination_address_prefix = "*"
  }

  security_rule {
    name                       = "allow-rdp"
    priority                   = 110
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_address_prefix      = "Internet"
    source_port_range          = "*"
    destination_port_range     = "3389"
    destination_address_prefix = "*"
  }
}

resource "azurerm_network_security_group" "nsg_asg" {
  name                = "nsg-asg"
  resource_group_name = azurerm_resource_group.lb.name
  location            = azurerm_resource_group.lb.location

  security_rule {
    name                       = "ssh-to-bastion-asg"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_address_prefix      = "*"
    source_port_range          = "*"
    destination_port_range     = "22"
    destination_application_security_group_ids = [azurerm_application_security_group.asg_bastion.id]
  }

  security_rule {
    name                       = "rdp-to-one-host"
    priority                   = 110
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_address_prefix      = "*"
    source_port_range          = "*"
    destination_port_range     = "3389"
    destination_address_prefix = "10.1.4.10"
  }
}

resource "azurerm_application_security_group" "asg_bastion" {
  name                = "asg-bastion"
  resource_group_name = azurerm_resource_group.lb.name
  location            = azurerm_resource_group.lb.location
}

resource "azurerm_application_security_group" "asg_web" {
  name                = "asg-web"
  resource_group_name = azurerm_resource_group.lb.name
  location            = azurerm_resource_group.lb.location
}

resource "azurerm_public_ip" "pip_lb" {
  name                = "pip-lb"
  resource_group_name = azurerm_resource_group.lb.name
  location            = azurerm_resource_group.lb.location
  allocation_method   = "Static"
  sku                 = "Standard"
}

resource "azurerm_public_ip" "pip_std2" {
  name                = "pip-std2"
  resource_group_name = azurerm_resource_group.lb.name
  location            = azurerm_resource_group.lb.location
  allocation_method   = "Static"
  sku                 = "Standard"
}

resource "azurerm_public_ip" "pip_basic" {
  name                = "pip-basic"
  resource_group_name = azurerm_resource_group.lb.name
  location            = azurerm_resource_group.lb.location
  allocation_method   = "Static"
  sku                 = "Basic"
}

resource "azurerm_public_ip" "pip_vm" {
  name                = "pip-vm"
  resource_group_name = azurerm_resource_group.lb.name
  location            = azurerm_resource_group.lb.location
  allocation_method   = "Static"
  sku                 = "Standard"
}

resource "azurerm_lb" "lb_pub" {
  name                = "lb-pub"
  resource_group_name = azurerm_resource_group.lb.name
  location            = azurerm_resource_group.lb.location
  sku                 = "Standard"

  frontend_ip_configuration {
    name                 = "fe"
    public_ip_address_id = azurerm_public_ip.pip_lb.id
  }
}

resource "azurerm_lb_backend_address_pool" "be_rdp" {
  name            = "be-rdp"
  loadbalancer_id = azurerm_lb.lb_pub.id
}

resource "azurerm_lb_backend_address_pool" "be_range" {
  name            = "be-range"
  loadbalancer_id = azurerm_lb.lb_pub.id
}

resource "azurerm_lb_backend_address_pool" "be_web" {
  name            = "be-web"
  loadbalancer_id = azurerm_lb.lb_pub.id
}

resource "azurerm_lb_backend_address_pool" "be_asg" {
  name            = "be-asg"
  loadbalancer_id = azurerm_lb.lb_pub.id
}

resource "azurerm_lb_nat_rule" "nat_ssh" {
  name                           = "nat-ssh"
  resource_group_name            = azurerm_resource_group.lb.name
  loadbalancer_id                = azurerm_lb.lb_pub.id
  frontend_ip_configuration_name = "fe"
  protocol                       = "Tcp"
  frontend_port                  = 50022
  backend_port                   = 22
}

resource "azurerm_lb_nat_rule" "nat_range" {
  name                           = "nat-range"
  resource_group_name            = azurerm_resource_group.lb.name
  loadbalancer_id                = azurerm_lb.lb_pub.id
  frontend_ip_configuration_name = "fe"
  protocol                       = "Tcp"
  frontend_port_start            = 51000
  frontend_port_end              = 51099
  backend_address_pool_id        = azurerm_lb_backend_address_pool.be_range.id
  backend_port                   = 22
}

resource "azurerm_lb_nat_pool" "pool_ssh" {
  name                           = "pool-ssh"
  resource_group_name            = azurerm_resource_group.lb.name
  loadbalancer_id                = azurerm_lb.lb_pub.id
  frontend_ip_configuration_name = "fe"
  protocol                       = "Tcp"
  frontend_port_start            = 52000
  frontend_port_end              = 52099
  backend_port                   = 22
}

resource "azurerm_lb_rule" "rdp" {
  name                           = "rdp"
  loadbalancer_id                = azurerm_lb.lb_pub.id
  frontend_ip_configuration_name = "fe"
  protocol                       = "Tcp"
  frontend_port                  = 3389
  backend_port                   = 3389
  backend_address_pool_ids       = [azurerm_lb_backend_address_pool.be_rdp.id]
}

resource "azurerm_lb_rule" "http" {
  name                           = "http"
  loadbalancer_id                = azurerm_lb.lb_pub.id
  frontend_ip_configuration_name = "fe"
  protocol                       = "Tcp"
  frontend_port                  = 80
  backend_port                   = 80
  backend_address_pool_ids       = [azurerm_lb_backend_address_pool.be_web.id]
}

resource "azurerm_lb_rule" "asg_ssh" {
  name                           = "asg-ssh"
  loadbalancer_id                = azurerm_lb.lb_pub.id
  frontend_ip_configuration_name = "fe"
  protocol                       = "Tcp"
  frontend_port                  = 10022
  backend_port                   = 22
  backend_address_pool_ids       = [azurerm_lb_backend_address_pool.be_asg.id]
}

resource "azurerm_lb_rule" "asg_rdp" {
  name                           = "asg-rdp"
  loadbalancer_id                = azurerm_lb.lb_pub.id
  frontend_ip_configuration_name = "fe"
  protocol                       = "Tcp"
  frontend_port                  = 13389
  backend_port                   = 3389
  backend_address_pool_ids       = [azurerm_lb_backend_address_pool.be_asg.id]
}

resource "azurerm_lb" "lb_int" {
  name                = "lb-int"
  resource_group_name = azurerm_resource_group.lb.name
  location            = azurerm_resource_group.lb.location
  sku                 = "Standard"

  frontend_ip_configuration {
    name                 = "fe"
    subnet_id                     = azurerm_subnet.snet_app.id
    private_ip_address            = "10.1.2.250"
    private_ip_address_allocation = "Static"
  }
}

resource "azurerm_lb_nat_rule" "nat_int_ssh" {
  name                           = "nat-int-ssh"
  resource_group_name            = azurerm_resource_group.lb.name
  loadbalancer_id                = azurerm_lb.lb_int.id
  frontend_ip_configuration_name = "fe"
  protocol                       = "Tcp"
  frontend_port                  = 2222
  backend_port                   = 22
}

resource "azurerm_lb" "lb_std2" {
  name                = "lb-std2"
  resource_group_name = azurerm_resource_group.lb.name
  location            = azurerm_resource_group.lb.location
  sku                 = "Standard"

  frontend_ip_configuration {
    name                 = "fe"
    public_ip_address_id = azurerm_public_ip.pip_std2.id
  }
}

resource "azurerm_lb_nat_rule" "nat_std" {
  name                           = "nat-std"
  resource_group_name            = azurerm_resource_group.lb.name
  loadbalancer_id                = azurerm_lb.lb_std2.id
  frontend_ip_configuration_name = "fe"
  protocol                       = "Tcp"
  frontend_port                  = 50022
  backend_port                   = 22
}

resource "azurerm_lb" "lb_basic" {
  name                = "lb-basic"
  resource_group_name = azurerm_resource_group.lb.name
  location            = azurerm_resource_group.lb.location

  frontend_ip_configuration {
    name                 = "fe"
    public_ip_address_id = azurerm_public_ip.pip_basic.id
  }
}

resource "azurerm_lb_nat_rule" "nat_basic" {
  name                           = "nat-basic"
  resource_group_name            = azurerm_resource_group.lb.name
  loadbalancer_id                = azurerm_lb.lb_basic.id
  frontend_ip_configuration_name = "fe"
  protocol                       = "Tcp"
  frontend_port                  = 53389
  backend_port                   = 3389
}

locals {
  machines = {
    "vm-nat" = { subnet = azurerm_subnet.snet_app.id, ip = "10.1.2.4", pip = null }
    "vm-pool" = { subnet = azurerm_subnet.snet_app.id, ip = "10.1.2.5", pip = null }
    "vm-range" = { subnet = azurerm_subnet.snet_app.id, ip = "10.1.2.6", pip = null }
    "vm-internal" = { subnet = azurerm_subnet.snet_app.id, ip = "10.1.2.7", pip = null }
    "vm-web-only" = { subnet = azurerm_subnet.snet_app.id, ip = "10.1.2.8", pip = null }
    "vm-standard-no-nsg" = { subnet = azurerm_subnet.snet_open.id, ip = "10.1.3.4", pip = null }
    "vm-basic-no-nsg" = { subnet = azurerm_subnet.snet_open.id, ip = "10.1.3.5", pip = null }
    "vm-asg-other" = { subnet = azurerm_subnet.snet_asg.id, ip = "10.1.4.4", pip = null }
    "vm-asg-member" = { subnet = azurerm_subnet.snet_asg.id, ip = "10.1.4.10", pip = null }
    "vm-pip" = { subnet = azurerm_subnet.snet_app.id, ip = "10.1.2.9", pip = azurerm_public_ip.pip_vm.id }
  }
}

resource "azurerm_network_interface" "vm" {
  for_each            = local.machines
  name                = "nic-${substr(each.key, 3, -1)}"
  resource_group_name = azurerm_resource_group.lb.name
  location            = azurerm_resource_group.lb.location

  ip_configuration {
    name                          = "ipconfig1"
    subnet_id                     = each.value.subnet
    private_ip_address_allocation = "Static"
    private_ip_address            = each.value.ip
    public_ip_address_id          = each.value.pip
  }
}

resource "azurerm_linux_virtual_machine" "vm" {
  for_each              = local.machines
  name                  = each.key
  resource_group_name   = azurerm_resource_group.lb.name
  location              = azurerm_resource_group.lb.location
  size                  = "Standard_D2s_v5"
  admin_username        = "azureops"
  network_interface_ids = [azurerm_network_interface.vm[each.key].id]

  admin_ssh_key {
    username   = "azureops"
    public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample"
  }

  os_disk {
    caching              = "ReadWrite"
    storage_account_type = "Premium_LRS"
  }

  source_image_id = "/subscriptions/5b3c2a1d-6e7f-4a8b-9c0d-1e2f3a4b5c6d/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/golden/images/ubuntu-2204/versions/1.4.0"
}

resource "azurerm_network_interface_nat_rule_association" "vm_nat_nat_ssh" {
  network_interface_id  = azurerm_network_interface.vm["vm-nat"].id
  ip_configuration_name = "ipconfig1"
  nat_rule_id           = azurerm_lb_nat_rule.nat_ssh.id
}

resource "azurerm_network_interface_backend_address_pool_association" "vm_pool_be_rdp" {
  network_interface_id    = azurerm_network_interface.vm["vm-pool"].id
  ip_configuration_name   = "ipconfig1"
  backend_address_pool_id = azurerm_lb_backend_address_pool.be_rdp.id
}

resource "azurerm_network_interface_backend_address_pool_association" "vm_range_be_range" {
  network_interface_id    = azurerm_network_interface.vm["vm-range"].id
  ip_configuration_name   = "ipconfig1"
  backend_address_pool_id = azurerm_lb_backend_address_pool.be_range.id
}

resource "azurerm_network_interface_nat_rule_association" "vm_internal_nat_int_ssh" {
  network_interface_id  = azurerm_network_interface.vm["vm-internal"].id
  ip_configuration_name = "ipconfig1"
  nat_rule_id           = azurerm_lb_nat_rule.nat_int_ssh.id
}

resource "azurerm_network_interface_backend_address_pool_association" "vm_web_only_be_web" {
  network_interface_id    = azurerm_network_interface.vm["vm-web-only"].id
  ip_configuration_name   = "ipconfig1"
  backend_address_pool_id = azurerm_lb_backend_address_pool.be_web.id
}

resource "azurerm_network_interface_nat_rule_association" "vm_standard_no_nsg_nat_std" {
  network_interface_id  = azurerm_network_interface.vm["vm-standard-no-nsg"].id
  ip_configuration_name = "ipconfig1"
  nat_rule_id           = azurerm_lb_nat_rule.nat_std.id
}

resource "azurerm_network_interface_nat_rule_association" "vm_basic_no_nsg_nat_basic" {
  network_interface_id  = azurerm_network_interface.vm["vm-basic-no-nsg"].id
  ip_configuration_name = "ipconfig1"
  nat_rule_id           = azurerm_lb_nat_rule.nat_basic.id
}

resource "azurerm_network_interface_backend_address_pool_association" "vm_asg_other_be_asg" {
  network_interface_id    = azurerm_network_interface.vm["vm-asg-other"].id
  ip_configuration_name   = "ipconfig1"
  backend_address_pool_id = azurerm_lb_backend_address_pool.be_asg.id
}

resource "azurerm_network_interface_application_security_group_association" "vm_asg_other_asg_web" {
  network_interface_id          = azurerm_network_interface.vm["vm-asg-other"].id
  application_security_group_id = azurerm_application_security_group.asg_web.id
}

resource "azurerm_network_interface_backend_address_pool_association" "vm_asg_member_be_asg" {
  network_interface_id    = azurerm_network_interface.vm["vm-asg-member"].id
  ip_configuration_name   = "ipconfig1"
  backend_address_pool_id = azurerm_lb_backend_address_pool.be_asg.id
}

resource "azurerm_network_interface_application_security_group_association" "vm_asg_member_asg_bastion" {
  network_interface_id          = azurerm_network_interface.vm["vm-asg-member"].id
  application_security_group_id = azurerm_application_security_group.asg_bastion.id
}

resource "azurerm_linux_virtual_machine_scale_set" "ss_natpool" {
  name                = "ss-natpool"
  resource_group_name = azurerm_resource_group.lb.name
  location            = azurerm_resource_group.lb.location
  sku                 = "Standard_D2s_v5"
  instances           = 2
  admin_username      = "azureops"

  admin_ssh_key {
    username   = "azureops"
    public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample"
  }

  source_image_id = "/subscriptions/5b3c2a1d-6e7f-4a8b-9c0d-1e2f3a4b5c6d/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/golden/images/ubuntu-2204/versions/1.4.0"

  os_disk {
    caching              = "ReadWrite"
    storage_account_type = "Premium_LRS"
  }

  network_interface {
    name    = "ss-natpool-nic"
    primary = true

    ip_configuration {
      name      = "ipconfig1"
      primary   = true
      subnet_id = azurerm_subnet.snet_app.id
      load_balancer_inbound_nat_rules_ids = [azurerm_lb_nat_pool.pool_ssh.id]
    }
  }
}

resource "azurerm_linux_virtual_machine_scale_set" "ss_pip" {
  name                = "ss-pip"
  resource_group_name = azurerm_resource_group.lb.name
  location            = azurerm_resource_group.lb.location
  sku                 = "Standard_D2s_v5"
  instances           = 2
  admin_username      = "azureops"

  admin_ssh_key {
    username   = "azureops"
    public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample"
  }

  source_image_id = "/subscriptions/5b3c2a1d-6e7f-4a8b-9c0d-1e2f3a4b5c6d/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/golden/images/ubuntu-2204/versions/1.4.0"

  os_disk {
    caching              = "ReadWrite"
    storage_account_type = "Premium_LRS"
  }

  network_interface {
    name    = "ss-pip-nic"
    primary = true

    ip_configuration {
      name      = "ipconfig1"
      primary   = true
      subnet_id = azurerm_subnet.snet_app.id

      public_ip_address {
        name = "inst-pip"
      }
    }
  }
}

resource "azurerm_linux_virtual_machine_scale_set" "ss_asg" {
  name                = "ss-asg"
  resource_group_name = azurerm_resource_group.lb.name
  location            = azurerm_resource_group.lb.location
  sku                 = "Standard_D2s_v5"
  instances           = 2
  admin_username      = "azureops"

  admin_ssh_key {
    username   = "azureops"
    public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample"
  }

  source_image_id = "/subscriptions/5b3c2a1d-6e7f-4a8b-9c0d-1e2f3a4b5c6d/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/golden/images/ubuntu-2204/versions/1.4.0"

  os_disk {
    caching              = "ReadWrite"
    storage_account_type = "Premium_LRS"
  }

  network_interface {
    name    = "ss-asg-nic"
    primary = true

    ip_configuration {
      name      = "ipconfig1"
      primary   = true
      subnet_id = azurerm_subnet.snet_asg.id
      load_balancer_backend_address_pool_ids = [azurerm_lb_backend_address_pool.be_asg.id]
      application_security_group_ids = [azurerm_application_security_group.asg_web.id]
    }
  }
}
