// A privateai.deepseek golden image: the collection's playbooks/bake_image.yml provisions a
// Debian 12 builder (QEMU locally, amazon-ebs on AWS, azure-arm on Azure); the image boots and
// configures itself from user-data at first boot (docs/vm-image.md).
//
//   cd packer
//   packer init .
//   packer build -only='qemu.debian12' -var image_version=2025.06.1 .
//   packer build -only='amazon-ebs.debian12' -var image_version=2025.06.1 .
//   packer build -only='azure-arm.debian12' -var image_version=2025.06.1 -var azure_subscription_id=... .

packer {
  required_version = ">= 1.10.0"
  required_plugins {
    ansible = {
      version = ">= 1.1.1"
      source  = "github.com/hashicorp/ansible"
    }
    qemu = {
      version = ">= 1.1.0"
      source  = "github.com/hashicorp/qemu"
    }
    amazon = {
      version = ">= 1.3.0"
      source  = "github.com/hashicorp/amazon"
    }
    azure = {
      version = ">= 2.1.0"
      source  = "github.com/hashicorp/azure"
    }
    // data "sshkey": a throw-away key for the QEMU builder's login.
    sshkey = {
      version = ">= 1.1.0"
      source  = "github.com/ivoronin/sshkey"
    }
  }
}

locals {
  image_full_name = "${var.image_name}-${var.image_version}"
  // The checkout (or installed collection) root: packer/ lives in it.
  collection_root = abspath("${path.root}/..")
}

source "qemu" "debian12" {
  iso_url          = var.qemu_source_image
  iso_checksum     = var.qemu_source_checksum
  disk_image       = true
  disk_size        = var.qemu_disk_size
  format           = "qcow2"
  accelerator      = var.qemu_accelerator
  cpus             = 2
  memory           = 4096
  headless         = true
  output_directory = "output-${local.image_full_name}"
  vm_name          = "${local.image_full_name}.qcow2"
  // The cloud image's own cloud-init takes the builder's user and key from this seed.
  cd_label = "cidata"
  cd_content = {
    "meta-data" = "instance-id: packer-${local.image_full_name}\n"
    "user-data" = "#cloud-config\nusers:\n  - name: ${var.ssh_username}\n    sudo: ALL=(ALL) NOPASSWD:ALL\n    ssh_authorized_keys: ['${data.sshkey.builder.public_key}']\n"
  }
  ssh_username              = var.ssh_username
  ssh_private_key_file      = data.sshkey.builder.private_key_path
  ssh_timeout               = "20m"
  shutdown_command          = "sudo shutdown -P now"
  use_default_display       = true
}

data "sshkey" "builder" {
  name = "privateai-deepseek-packer"
}

source "amazon-ebs" "debian12" {
  region        = var.aws_region
  instance_type = var.aws_instance_type
  subnet_id     = var.aws_subnet_id == "" ? null : var.aws_subnet_id
  ami_name      = local.image_full_name
  ssh_username  = "admin"
  source_ami_filter {
    filters = {
      name                = "debian-12-amd64-*"
      virtualization-type = "hvm"
      root-device-type    = "ebs"
    }
    owners      = [var.aws_source_ami_owner]
    most_recent = true
  }
  launch_block_device_mappings {
    device_name           = "/dev/xvda"
    volume_size           = var.aws_volume_size_gb
    volume_type           = "gp3"
    delete_on_termination = true
  }
  imds_support = "v2.0"
  tags = {
    Name                       = local.image_full_name
    "privateai:image-version" = var.image_version
  }
}

source "azure-arm" "debian12" {
  subscription_id                   = var.azure_subscription_id
  use_azure_cli_auth                = true
  location                          = var.azure_location
  vm_size                           = var.azure_vm_size
  os_type                           = "Linux"
  image_publisher                   = "Debian"
  image_offer                       = "debian-12"
  image_sku                         = "12-gen2"
  managed_image_name                = local.image_full_name
  managed_image_resource_group_name = var.azure_resource_group
  ssh_username                      = "packer"
  azure_tags = {
    "privateai-image-version" = var.image_version
  }
}

build {
  name = "privateai-deepseek"
  sources = [
    "source.qemu.debian12",
    "source.amazon-ebs.debian12",
    "source.azure-arm.debian12",
  ]

  // Clouds: the image reads its user-data through cloud-init (image_bake_cloud_init).
  provisioner "ansible" {
    playbook_file = "${local.collection_root}/playbooks/bake_image.yml"
    user          = build.User
    use_proxy     = false
    extra_arguments = [
      "--extra-vars", "@${path.root}/${var.bake_vars_file}",
      "--extra-vars", "image_bake_image_name=${var.image_name} image_bake_image_version=${var.image_version}",
      "--extra-vars", "image_bake_cloud_init=${source.type == "qemu" ? "false" : "true"}",
      "--extra-vars", "image_bake_manifest_dest=${abspath(var.manifest_dir)}/${local.image_full_name}-${source.type}.manifest.json",
    ]
    ansible_env_vars = [
      "ANSIBLE_COLLECTIONS_PATH=${local.collection_root}/.build/collections:~/.ansible/collections",
      "ANSIBLE_NOCOLOR=1",
    ]
  }

  post-processor "manifest" {
    output     = "${var.manifest_dir}/${local.image_full_name}.packer-manifest.json"
    strip_path = true
  }
}
