#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

DOCUMENTATION = r"""
---
module: node_facts
short_description: Describe a DeepSeek node - container or host, systemd, NVIDIA GPUs and driver
version_added: 0.1.0
description:
  - Sets the C(deepseek_node) fact that the roles of this collection use to decide what
    they can do on a node.
  - Tells a container from a VM or bare metal. Kernel settings, auditd and time
    synchronisation cannot be applied inside a container, and roles report what they
    skipped for that reason.
  - Finds NVIDIA GPUs and NVSwitches on the PCI bus through sysfs, so it works before any
    NVIDIA driver is installed, and reads the loaded driver version and flavour (open or
    proprietary kernel modules) from C(/proc/driver/nvidia/version) when one is loaded.
  - Reads files only; it changes nothing and needs no extra Python library. For GPU
    health (ECC, throttling, NVLink) use a probe that talks to NVML.
author:
  - privateai.deepseek maintainers (@privateai)
options:
  root:
    description:
      - Directory to read C(/sys), C(/proc) and C(/run) under.
      - Only useful to inspect a mounted image or a chroot; leave at C(/) on live nodes.
    type: path
    default: /
attributes:
  check_mode:
    support: full
    description: Reads only; returns the same facts in check mode.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to diff.
  facts:
    support: full
    description: Sets the C(deepseek_node) fact.
  idempotent:
    support: full
    description: Reads only.
notes:
  - Container detection follows systemd (C(/run/systemd/container)), then the marker
    files of podman (C(/run/.containerenv)) and docker (C(/.dockerenv)).
"""

EXAMPLES = r"""
- name: Describe the node
  privateai.deepseek.node_facts:

- name: Skip kernel tuning in containers
  ansible.builtin.debug:
    msg: "{{ ansible_facts.deepseek_node.container_engine }} container: kernel settings skipped"
  when: ansible_facts.deepseek_node.container

- name: Require the GPUs the plan expects
  ansible.builtin.assert:
    that: ansible_facts.deepseek_node.gpu_count >= 8
    fail_msg: DeepSeek-R1 671B needs 8 GPUs on this node
"""

RETURN = r"""
ansible_facts:
  description: Facts to add to ansible_facts.
  returned: always
  type: complex
  contains:
    deepseek_node:
      description: What the node is.
      returned: always
      type: complex
      contains:
        container:
          description: Whether the node is a container.
          type: bool
          returned: always
          sample: false
        container_engine:
          description: Container engine name (docker, podman, lxc, ...) or null.
          type: str
          returned: always
          sample: docker
        systemd:
          description: Whether systemd is the running init system.
          type: bool
          returned: always
          sample: true
        gpu_count:
          description: Number of NVIDIA GPUs on the PCI bus.
          type: int
          returned: always
          sample: 8
        gpus:
          description: NVIDIA GPUs, sorted by PCI bus id.
          type: list
          elements: dict
          returned: always
          sample:
            - pci_bus_id: "0000:18:00.0"
              device_id: "0x2335"
              subsystem_device_id: "0x18be"
              kernel_driver: nvidia
        nvswitch_count:
          description: Number of NVIDIA NVSwitch devices (HGX/DGX baseboards need fabric manager when > 0).
          type: int
          returned: always
          sample: 4
        nvswitches:
          description: NVSwitch devices, same keys as I(gpus).
          type: list
          elements: dict
          returned: always
          sample: []
        nvidia_driver:
          description: Loaded NVIDIA kernel driver.
          type: dict
          returned: always
          sample:
            loaded: true
            version: "580.95.05"
            flavor: open
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.privateai.deepseek.plugins.module_utils.node_facts import gather


def main():
    module = AnsibleModule(
        argument_spec=dict(root=dict(type="path", default="/")),
        supports_check_mode=True,
    )
    module.exit_json(changed=False, ansible_facts={"deepseek_node": gather(module.params["root"])})


if __name__ == "__main__":
    main()
