# -*- coding: utf-8 -*-
# Copyright: privateai.deepseek contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

DOCUMENTATION = r"""
---
name: sha256_manifest
short_description: Parse a sha256sum-format manifest into checked entries
version_added: 0.1.0
description:
  - Parses C(<sha256>  <relative path>) lines (the output of C(sha256sum)) into a list of
    C({path, sha256}), sorted by path.
  - Fails on malformed lines, duplicate paths, an empty manifest, and paths that would leave
    the model directory (absolute, C(..)), naming O(source) and the line number.
author:
  - privateai.deepseek maintainers (@privateai)
options:
  _input:
    description: Manifest text.
    type: str
    required: true
  source:
    description: Where the text came from, for error messages.
    type: str
    default: manifest
"""

EXAMPLES = r"""
- name: Files of a staged model
  ansible.builtin.debug:
    msg: "{{ lookup('ansible.builtin.file', 'models/r1-7b/MANIFEST.sha256') | privateai.deepseek.sha256_manifest }}"
"""

RETURN = r"""
_value:
  description: One entry per file.
  type: list
  elements: dict
  contains:
    path:
      description: Normalised relative path.
      type: str
    sha256:
      description: Expected SHA-256, lower-case hex.
      type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.privateai.deepseek.plugins.module_utils.manifest import ManifestError, parse_manifest


def sha256_manifest(text, source="manifest"):
    try:
        return parse_manifest(text, source=source)
    except ManifestError as error:
        raise AnsibleFilterError(str(error))


class FilterModule(object):
    def filters(self):
        return {"sha256_manifest": sha256_manifest}
