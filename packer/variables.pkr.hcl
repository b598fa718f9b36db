// Inputs of every build. Pass them with -var or a *.pkrvars.hcl file (see docs/vm-image.md).

variable "image_name" {
  type        = string
  default     = "privateai-deepseek"
  description = "Name of the image (and prefix of the cloud image names)."
}

variable "image_version" {
  type        = string
  description = "Version of the image, recorded in its manifest (e.g. 2025.06.1)."
}

variable "bake_vars_file" {
  type        = string
  default     = "bake-vars.yml"
  description = "YAML file of bake variables (image_bake_*, base_*, vllm_*, model_store_*, hardening_*), relative to packer/."
}

variable "manifest_dir" {
  type        = string
  default     = "../.build/images"
  description = "Directory on the machine running Packer where the image's manifest is written."
}

variable "ssh_username" {
  type        = string
  default     = "debian"
  description = "User Packer logs in as on the builder (the cloud image's default user)."
}

// QEMU builder
variable "qemu_source_image" {
  type        = string
  default     = "https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-genericcloud-amd64.qcow2"
  description = "Debian 12 cloud image to start from (a mirror URL or a local file:// path in closed networks)."
}

variable "qemu_source_checksum" {
  type        = string
  default     = "file:https://cloud.debian.org/images/cloud/bookworm/latest/SHA512SUMS"
  description = "Checksum (or file:URL of a checksum list) of qemu_source_image."
}

variable "qemu_accelerator" {
  type        = string
  default     = "kvm"
  description = "kvm on a builder with virtualisation; tcg (software emulation) otherwise."
}

variable "qemu_disk_size" {
  type        = string
  default     = "40G"
  description = "Disk size of the QEMU image (weights inside need room)."
}

// amazon-ebs builder
variable "aws_region" {
  type        = string
  default     = "eu-central-1"
  description = "AWS region to build in."
}

variable "aws_instance_type" {
  type        = string
  default     = "m6i.xlarge"
  description = "Builder instance type; a GPU type (g5/p5) is not needed: the driver builds for the image's kernel."
}

variable "aws_source_ami_owner" {
  type        = string
  default     = "136693071363"
  description = "Owner of the Debian 12 AMIs (Debian's official account)."
}

variable "aws_subnet_id" {
  type        = string
  default     = ""
  description = "Subnet of the builder (a private subnet with a package mirror in closed networks); empty for the default VPC."
}

variable "aws_volume_size_gb" {
  type        = number
  default     = 60
  description = "Root volume size of the image in GB."
}

// azure-arm builder
variable "azure_subscription_id" {
  type        = string
  default     = ""
  description = "Azure subscription to build in."
}

variable "azure_resource_group" {
  type        = string
  default     = ""
  description = "Resource group that receives the managed image."
}

variable "azure_location" {
  type        = string
  default     = "westeurope"
  description = "Azure region to build in."
}

variable "azure_vm_size" {
  type        = string
  default     = "Standard_D4s_v5"
  description = "Builder VM size."
}
