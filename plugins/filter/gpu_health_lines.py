# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later


from __future__ import absolute_import, division, print_function

DOCUMENTATION = r"""
---
name: gpu_health_lines
short_description: Render a gpu_health result as lines for people
version_added: 0.1.0
description:
  - Turns the result (or the C(gpu_health) fact) of M(privateai.deepseek.gpu_health) into
    the verdict line, one line per GPU (name, bus id, memory, temperature, PCIe link,
    uncorrected ECC, unsupported queries) and one line per issue with its advice.
  - The same lines the command-line entry prints.
author:
  - privateai.deepseek maintainers (@privateai)
options:
  _input:
    description: A gpu_health result.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Probe
  privateai.deepseek.gpu_health:
    fail_on_unhealthy: false
  register: health

- name: Print the table
  ansible.builtin.debug:
    msg: "{{ health | privateai.deepseek.gpu_health_lines }}"
"""

RETURN = r"""
_value:
  description: The lines, verdict first.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.privateai.deepseek.plugins.module_utils.gpu_health import format_lines


def gpu_health_lines(result):
    if not isinstance(result, dict) or "message" not in result:
        raise AnsibleFilterError("gpu_health_lines expects a gpu_health result (a dict with 'message')")
    return format_lines(result)


class FilterModule(object):
    def filters(self):
        return {"gpu_health_lines": gpu_health_lines}
