# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

DOCUMENTATION = r"""
---
name: nvidia_driver_plan
short_description: Decide the NVIDIA driver repositories, keys, packages and module flavour for a node
version_added: 0.1.0
description:
  - Turns a node's distribution, version, architecture and NVIDIA PCI devices (from
    C(privateai.deepseek.node_facts)) plus the C(nvidia_driver) role's settings into the
    exact repositories, signing keys, dnf module stream, package names, version pins and
    services to install.
  - This is the single table of NVIDIA and distribution package names in the collection;
    the C(privateai.deepseek.nvidia_driver) role renders everything from it.
  - Open or proprietary kernel modules are chosen from the PCI device ids - open on Turing
    and newer (device id 0x1e00 and above), proprietary on Volta and older, open only on
    Blackwell (0x2900 and above) and Grace Hopper.
  - Fails with one line per problem, each naming the role variable and the fix - an unknown
    branch format, open modules for a GPU that cannot run them, fabric manager forced
    without an NVSwitch, a mirror source without a URL, an unsupported distribution.
author:
  - privateai.deepseek maintainers (@privateai)
options:
  _input:
    description:
      - The node. Keys C(distribution), C(distribution_version),
        C(distribution_major_version) and C(architecture) as in C(ansible_facts), plus
        C(gpu_device_ids) (PCI device ids such as C(0x2335)) and C(nvswitch_count) from the
        C(deepseek_node) fact.
    type: dict
    required: true
  options:
    description:
      - The role's settings without the C(nvidia_driver_) prefix - C(source),
        C(branch), C(version), C(kernel_modules), C(fabricmanager), C(image_build),
        C(mirror_url), C(mirror_key_url), C(cuda_toolkit), C(cuda_toolkit_version),
        C(container_toolkit), C(container_toolkit_repo), C(container_toolkit_repo_url),
        C(container_toolkit_key_url), C(container_toolkit_version), C(dcgm),
        C(module_parameters), C(container_runtimes), C(repo_key_sha256).
      - Missing keys take the role's defaults.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Plan the driver install for this node
  ansible.builtin.set_fact:
    nvidia_plan: >-
      {{ {'distribution': ansible_facts['distribution'],
          'distribution_version': ansible_facts['distribution_version'],
          'distribution_major_version': ansible_facts['distribution_major_version'],
          'architecture': ansible_facts['architecture'],
          'gpu_device_ids': ansible_facts['deepseek_node']['gpus'] | map(attribute='device_id') | list,
          'nvswitch_count': ansible_facts['deepseek_node']['nvswitch_count']}
         | privateai.deepseek.nvidia_driver_plan({'source': 'cuda_repo', 'branch': '580'}) }}

- name: Show what would be installed
  ansible.builtin.debug:
    msg: "{{ nvidia_plan.packages.kernel + nvidia_plan.packages.userspace }} ({{ nvidia_plan.flavor }})"
"""

RETURN = r"""
_value:
  description: The install plan.
  type: dict
  contains:
    platform:
      description:
        - Distribution id and label, family (debian or redhat), package manager, codename and
          the CUDA repository arch (x86_64 or sbsa).
      type: dict
    source:
      description: cuda_repo, distro or mirror.
      type: str
    branch:
      description: Driver branch, e.g. C(580).
      type: str
    version:
      description: Exact driver version pin, or empty.
      type: str
    cuda_version:
      description: CUDA version that ships with the branch (toolkit and DCGM flavour).
      type: str
    flavor:
      description: C(open) or C(proprietary) kernel modules.
      type: str
    flavor_reason:
      description: Why that flavour was chosen.
      type: str
    gpus:
      description: Each GPU's PCI device id and generation (legacy, turing_plus, open_only).
      type: list
      elements: dict
    fabricmanager:
      description: Whether fabric manager is installed.
      type: bool
    repositories:
      description: Repositories to configure, each with name, url, key_url, suites and components.
      type: list
      elements: dict
    distro_components:
      description: Components of the distribution's own apt archive that must be enabled (apt only).
      type: list
      elements: str
    module_stream:
      description: dnf module stream to enable (RHEL family with NVIDIA's repository), e.g. C(nvidia-driver:580-open).
      type: str
    packages:
      description:
        - Package specs per group - userspace, kernel, kernel_tools, fabricmanager, cuda_toolkit,
          container_toolkit, dcgm, tools.
      type: dict
    headers:
      description: Kernel header packages for the running kernel; C({kernel}) stands for its release.
      type: list
      elements: str
    image_headers:
      description: Kernel header packages used when baking an image (the distribution's kernel metapackage).
      type: list
      elements: str
    pin:
      description:
        - apt preferences stanza (packages glob and version) that keeps apt on the branch or
          version; null on dnf.
      type: dict
    hold:
      description: Regular expressions selecting the installed packages to hold (name and version).
      type: dict
    version_package:
      description: Package whose installed version is the driver version.
      type: str
    fabricmanager_package:
      description: Fabric manager package, checked to carry exactly the driver version.
      type: str
    services:
      description: systemd units (persistenced, fabricmanager, dcgm; null when not installed).
      type: dict
    kernel_modules:
      description: Kernel modules to load.
      type: list
      elements: str
    module_options:
      description: The C(options <module> <parameter>=<value> ...) lines of the modprobe.d file.
      type: list
      elements: str
    container_runtimes:
      description: C(auto) or the container engines to configure.
      type: raw
    repo_key_sha256:
      description: Expected SHA-256 of the NVIDIA repository key file, or empty.
      type: str
    notes:
      description: Remarks about the plan worth reporting.
      type: list
      elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.privateai.deepseek.plugins.module_utils.nvidia_driver_plan import PlanError, build_plan


def nvidia_driver_plan(node, options=None):
    if not isinstance(node, dict):
        raise AnsibleFilterError("nvidia_driver_plan: the input must be a dict describing the node")
    try:
        return build_plan(node, dict(options or {}))
    except PlanError as error:
        raise AnsibleFilterError("nvidia_driver: bad input, nothing was changed:\n- " + "\n- ".join(error.messages))


class FilterModule(object):
    def filters(self):
        return {"nvidia_driver_plan": nvidia_driver_plan}
