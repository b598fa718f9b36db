# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

DOCUMENTATION = r"""
---
name: pem_certificates
short_description: Split a PEM bundle into checked certificates
version_added: 0.1.0
description:
  - Splits PEM text into its certificates and parses each one with C(cryptography).
  - Fails with a message naming O(variable) when the text holds no certificate, a
    certificate that does not parse, or one that has expired, so a bad CA file stops
    the play before any host is changed.
author:
  - privateai.deepseek maintainers (@privateai)
options:
  _input:
    description: PEM text (one or more certificates).
    type: str
    required: true
  variable:
    description: Name of the variable the text came from, used in error messages.
    type: str
    required: true
  source:
    description: Where the text was read from (a path), used in error messages.
    type: str
    default: inline PEM
"""

EXAMPLES = r"""
- name: Check the corporate CA bundle
  ansible.builtin.debug:
    msg: "{{ lookup('ansible.builtin.file', 'corp-ca.pem') | privateai.deepseek.pem_certificates(variable='corp_ca') }}"
"""

RETURN = r"""
_value:
  description: One entry per certificate.
  type: list
  elements: dict
  contains:
    pem:
      description: The certificate, re-encoded as canonical PEM.
      type: str
    sha256:
      description: SHA-256 fingerprint, hex.
      type: str
    subject:
      description: Subject, RFC 4514.
      type: str
    not_after:
      description: Expiry, ISO 8601.
      type: str
    is_ca:
      description: Whether basicConstraints marks it as a CA.
      type: bool
    file_name:
      description: Stable trust-store file name derived from the fingerprint.
      type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.privateai.deepseek.plugins.module_utils.pem import CertificateError, parse_certificates


def pem_certificates(text, variable, source="inline PEM"):
    try:
        return parse_certificates(text, variable, source=source)
    except CertificateError as error:
        raise AnsibleFilterError(str(error))


class FilterModule(object):
    def filters(self):
        return {"pem_certificates": pem_certificates}
