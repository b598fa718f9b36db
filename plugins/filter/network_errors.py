# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

DOCUMENTATION = r"""
---
name: network_errors
short_description: Say which entries of an address list are not IP addresses or CIDRs
version_added: 0.1.0
description:
  - Parses each entry with Python's C(ipaddress) (no C(netaddr) needed) and returns one
    message per bad entry, naming O(variable), the index and the fix, so that a role
    can stop on a non-empty list before it writes any configuration.
  - A CIDR with host bits set (C(10.1.2.3/8)) is an error, with the network it most likely means.
author:
  - privateai.deepseek maintainers (@privateai)
options:
  _input:
    description: The address list.
    type: list
    elements: raw
    required: true
  variable:
    description: Name of the variable the list came from, used in the messages.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Check the load balancers' addresses
  ansible.builtin.assert:
    that: _errors | length == 0
    fail_msg: "{{ _errors | join('; ') }}"
  vars:
    _errors: "{{ gateway_trusted_proxies | privateai.deepseek.network_errors('gateway_trusted_proxies') }}"
"""

RETURN = r"""
_value:
  description: One message per entry that is not an address or CIDR; empty when all are.
  type: list
  elements: str
"""

import ipaddress

from ansible.errors import AnsibleFilterError


def _problem(value):
    """Why value is not an address or CIDR, or None when it is one."""
    if not isinstance(value, str) or not value.strip():
        return "is not an IPv4/IPv6 address or CIDR"
    try:
        ipaddress.ip_network(value.strip(), strict=True)
    except ValueError as error:
        if "has host bits set" in str(error):
            return "has host bits set; did you mean %s?" % ipaddress.ip_network(value.strip(), strict=False)
        return "is not an IPv4/IPv6 address or CIDR (e.g. 10.20.0.0/16 or 2001:db8::/32)"
    return None


def network_errors(values, variable):
    if not isinstance(values, list):
        raise AnsibleFilterError("%s must be a list of addresses or CIDRs, got %r" % (variable, values))
    messages = []
    for index, value in enumerate(values):
        problem = _problem(value)
        if problem:
            messages.append("%s[%d]=%s %s" % (variable, index, value, problem))
    return messages


class FilterModule(object):
    def filters(self):
        return {"network_errors": network_errors}
